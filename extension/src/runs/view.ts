import { type CommandRegistry } from '@lumino/commands';

import { type RunModel, type StepModel } from '../common/api';
import { CommandIDs, type CompareRunsArgs, type RegisterModelArgs } from '../common/commands';
import {
  badge,
  button,
  classes,
  el,
  errorLine,
  nameLine,
  onActivate,
  reveal,
  setError,
  viewHeader
} from '../common/dom';
import { errorMessage, formatTimestamp } from '../common/helpers';
import { ProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import { canDeploy } from '../models/helpers';
import { canEditSchedules } from '../schedules/helpers';
import {
  canCancelRuns,
  compareTarget,
  formatAttempts,
  formatDuration,
  formatParameters,
  formatQueuePlace,
  formatStarted,
  isActiveStatus,
  runTracking,
  statusClass,
  stepTrackingUrl
} from './helpers';
import { type RunsModel } from './model';

/** Options for {@link RunsView}. */
export interface RunsViewOptions {
  model: RunsModel;
  /**
   * Where "Open output" ({@link CommandIDs.openOutput}), "Compare with
   * previous run" ({@link CommandIDs.compareRuns}), "Schedule…"
   * ({@link CommandIDs.scheduleRun}) and "Register model…"
   * ({@link CommandIDs.registerModel}) go; a command that is not registered
   * disables (or hides) its button.
   */
  commands: CommandRegistry;
  trans?: TranslationBundle;
}

function statusBadge(status: string, testid: string): HTMLElement {
  return badge(status, statusClass(status), testid);
}

/** A link to a page of the MLflow UI, opened in a new browser tab. */
function mlflowLink(url: string, testid: string, title: string, label: string): HTMLElement {
  return el('a', {
    className: 'jp-ScaleLabRuns-mlflowLink',
    testid,
    text: label,
    title,
    attrs: { href: url, target: '_blank', rel: 'noopener noreferrer' }
  });
}

/**
 * The runs of the current project (a {@link RunsModel}), newest first,
 * with the details of the selected run (parameters, error, its MLflow run,
 * steps, open output, compare, cancel, register its model).
 */
export class RunsView extends ProjectListView<RunsModel> {
  readonly node: HTMLElement;

  constructor(options: RunsViewOptions) {
    super(options.model, options.trans);
    this._commands = options.commands;
    const trans = this.trans;

    this._status = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._error = errorLine('scalelab-runs-error');
    this._list = el('ul', {
      className: 'jp-ScaleLabRuns-list jp-ScaleLab-pickList',
      testid: 'scalelab-runs-list',
      attrs: { role: 'listbox', 'aria-label': trans.__('Runs') }
    });
    this._detail = el('div', {
      className: 'jp-ScaleLabRuns-detailHost'
    });
    this.node = el(
      'section',
      { className: 'jp-ScaleLabRuns', testid: 'scalelab-runs' },
      viewHeader(
        trans.__('Runs'),
        () => {
          void this.model.reload();
        },
        {
          testid: 'scalelab-runs-refresh',
          title: trans.__('Reload the runs'),
          label: trans.__('Refresh')
        }
      ),
      this._status,
      this._error,
      this._list,
      this._detail
    );
    this.render();
  }

  /** Scroll the selected run and its details into view. */
  revealSelected(): void {
    reveal(this._list.querySelector('.jp-mod-selected'));
    if (!this._detail.hidden) {
      reveal(this._detail);
    }
  }

  /** Forget the error of an action on another run, then render. */
  protected onChanged(): void {
    const slug = this.model.slug;
    const selected = this.model.selectedId;
    if (slug !== this._shownSlug || selected !== this._shownSelected) {
      this._detailError = null;
    }
    this._shownSlug = slug;
    this._shownSelected = selected;
    this.render();
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    this.node.hidden = model.project === null;
    this.renderListState(
      { status: this._status, error: this._error, list: this._list },
      {
        empty: trans.__('No runs yet.'),
        loadError: message => trans.__('Could not load the runs: %1', message)
      }
    );
    const runs = model.runs;
    this._list.replaceChildren(...runs.map(run => this._row(run)));
    const run = model.selected;
    this._detail.hidden = run === null;
    this._detail.replaceChildren(...(run ? [this._details(run)] : []));
  }

  private _select(id: string): void {
    this.model.select(id);
  }

  private _row(run: RunModel): HTMLLIElement {
    const trans = this.trans;
    const selected = run.id === this.model.selectedId;
    const duration = formatDuration(run);
    const place = formatQueuePlace(run, trans);
    const item = el(
      'li',
      {
        className: classes('jp-ScaleLabRuns-run jp-ScaleLab-pickItem', {
          'jp-mod-selected': selected
        }),
        testid: `scalelab-run-${run.id}`,
        title: trans.__('Run %1 by %2', run.id, run.triggered_by || trans.__('unknown')),
        attrs: {
          role: 'option',
          'aria-selected': String(selected),
          'data-run-id': run.id,
          'data-status': run.status,
          tabindex: '0'
        }
      },
      nameLine({ text: run.target }, statusBadge(run.status, 'scalelab-run-status')),
      el(
        'div',
        { className: 'jp-ScaleLabRuns-runMeta' },
        el('span', { testid: 'scalelab-run-trigger', text: run.trigger }),
        ' · ',
        el('span', { testid: 'scalelab-run-started', text: formatStarted(run) }),
        ...(duration
          ? [' · ', el('span', { testid: 'scalelab-run-duration', text: duration })]
          : []),
        ...(place ? [' · ', el('span', { testid: 'scalelab-run-queue-place', text: place })] : [])
      )
    );
    onActivate(item, () => {
      this._select(run.id);
    });
    return item;
  }

  private _details(run: RunModel): HTMLElement {
    const trans = this.trans;
    const { project, user } = this.model;
    const error = errorLine('scalelab-run-detail-error');
    setError(error, this._detailError);
    const by = run.triggered_by || trans.__('unknown');
    const duration = formatDuration(run);
    const node = el(
      'div',
      {
        className: 'jp-ScaleLabRuns-detail',
        testid: 'scalelab-run-detail',
        attrs: { 'data-run-id': run.id }
      },
      nameLine({ text: run.target }, statusBadge(run.status, 'scalelab-run-detail-status')),
      el('div', {
        className: 'jp-ScaleLabRuns-kv',
        text: trans.__('Run %1', run.id),
        title: trans.__('Created %1', run.created_at)
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv',
        text:
          trans.__('%1 · %2 by %3', run.kind, run.trigger, by) +
          (run.executor ? ` · ${run.executor}` : '')
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv',
        text:
          trans.__('Started %1', run.started_at ? formatTimestamp(run.started_at) : '—') +
          (run.finished_at
            ? trans.__(' · finished %1', formatTimestamp(run.finished_at))
            : '') +
          (duration ? ` · ${duration}` : '')
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv jp-ScaleLabRuns-params',
        testid: 'scalelab-run-parameters',
        text: trans.__(
          'Parameters: %1',
          formatParameters(run.parameters) || trans.__('defaults')
        )
      })
    );
    if (run.error) {
      node.append(
        el('div', {
          className: 'jp-ScaleLabRuns-runError',
          testid: 'scalelab-run-error',
          text: run.error
        })
      );
    }
    const tracking = this._tracking(run);
    if (tracking) {
      node.append(tracking);
    }
    if (isActiveStatus(run.status) && canCancelRuns(project, user)) {
      const cancel = button(
        trans.__('Cancel run'),
        () => {
          void this._cancel(run, cancel);
        },
        { testid: 'scalelab-run-cancel', warn: true }
      );
      node.append(el('div', { className: 'jp-ScaleLabPanel-actions' }, cancel));
    }
    if (
      this._commands.hasCommand(CommandIDs.scheduleRun) &&
      !isActiveStatus(run.status) &&
      project?.archived === false &&
      canEditSchedules(project, user)
    ) {
      node.append(
        el(
          'div',
          { className: 'jp-ScaleLabPanel-actions' },
          button(
            trans.__('Schedule…'),
            () => {
              void this._commands.execute(CommandIDs.scheduleRun, {
                project: run.project,
                target: run.target,
                parameters: run.parameters as never
              });
            },
            {
              testid: 'scalelab-run-schedule',
              title: trans.__('Run %1 on a schedule, with these parameters', run.target)
            }
          )
        )
      );
    }
    node.append(
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Steps') }),
      el(
        'ol',
        { className: 'jp-ScaleLabRuns-steps' },
        ...run.steps.map(step => this._step(run, step))
      ),
      error
    );
    if (run.steps.length === 0) {
      node.append(
        el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('No steps yet.') })
      );
    }
    return node;
  }

  /** The run's MLflow link and, for deployers, "Register model…"; `null` without tracking. */
  private _tracking(run: RunModel): HTMLElement | null {
    const tracking = runTracking(run);
    if (tracking === null) {
      return null;
    }
    const trans = this.trans;
    const { project, user } = this.model;
    const node = el(
      'div',
      { className: 'jp-ScaleLabPanel-actions jp-ScaleLabRuns-tracking' },
      mlflowLink(
        tracking.url,
        'scalelab-run-mlflow',
        trans.__('MLflow run %1 (new browser tab)', tracking.run_id),
        trans.__('MLflow')
      )
    );
    if (
      run.status === 'succeeded' &&
      this._commands.hasCommand(CommandIDs.registerModel) &&
      project?.archived !== true &&
      canDeploy(project, user)
    ) {
      const register = button(
        trans.__('Register model…'),
        () => {
          void this._register(run, register);
        },
        {
          testid: 'scalelab-run-register-model',
          title: trans.__('Register the model run %1 logged as a new version', run.id)
        }
      );
      node.append(register);
    }
    return node;
  }

  private _step(run: RunModel, step: StepModel): HTMLLIElement {
    const trans = this.trans;
    const facts = [formatAttempts(step.attempts, trans)];
    const duration = formatDuration(step);
    if (duration) {
      facts.push(duration);
    }
    if (step.kernel) {
      facts.push(step.kernel);
    }
    const item = el(
      'li',
      {
        className: 'jp-ScaleLabRuns-step',
        testid: `scalelab-step-${step.name}`,
        attrs: { 'data-step': step.name, 'data-status': step.status }
      },
      el(
        'div',
        { className: 'jp-ScaleLabRuns-runTop' },
        el('span', {
          className: 'jp-ScaleLabRuns-stepName',
          text: step.name,
          title: step.notebook
        }),
        statusBadge(step.status, 'scalelab-step-status')
      ),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta',
        testid: 'scalelab-step-attempts',
        text: facts.join(' · ')
      })
    );
    if (step.reused_from) {
      item.append(
        el('div', {
          className: 'jp-ScaleLabRuns-runMeta',
          testid: 'scalelab-step-reused',
          text: trans.__('reused from %1', step.reused_from)
        })
      );
    }
    if (step.error) {
      item.append(
        el('div', {
          className: 'jp-ScaleLabRuns-runError',
          testid: 'scalelab-step-error',
          text:
            step.failed_cell !== null
              ? trans.__('cell %1: %2', step.failed_cell, step.error)
              : step.error
        })
      );
    }

    const output = step.output;
    const canOpen = this._commands.hasCommand(CommandIDs.openOutput);
    const open = button(
      trans.__('Open output'),
      output && canOpen
        ? () => {
            this._showDetailError(null);
            this._commands
              .execute(CommandIDs.openOutput, { path: output })
              .catch((err: unknown) => {
                this._showDetailError(
                  trans.__('Could not open %1: %2', output, errorMessage(err))
                );
              });
          }
        : () => undefined,
      {
        testid: 'scalelab-open-output',
        title: output ?? trans.__('No output notebook yet')
      }
    );
    open.disabled = !output || !canOpen;

    const previous = compareTarget(this.model.runs, run, step);
    const compare = button(
      trans.__('Compare with previous run'),
      previous
        ? () => {
            void this._compare(run, previous, step, compare);
          }
        : () => undefined,
      {
        testid: 'scalelab-compare',
        title: previous
          ? trans.__('Diff %1 of run %2 and run %3', step.name, previous.id, run.id)
          : trans.__('No earlier run of this target with this step')
      }
    );
    compare.disabled = previous === null || !this._commands.hasCommand(CommandIDs.compareRuns);
    const actions = el('div', { className: 'jp-ScaleLabPanel-actions' }, open, compare);
    const stepUrl = stepTrackingUrl(run, step);
    if (stepUrl !== null && step.tracking_run_id) {
      actions.append(
        mlflowLink(
          stepUrl,
          'scalelab-step-mlflow',
          trans.__('MLflow run %1 of step %2 (new browser tab)', step.tracking_run_id, step.name),
          trans.__('MLflow')
        )
      );
    }
    item.append(actions);
    return item;
  }

  /** Show an error of an action on the selected run; kept across polls. */
  private _showDetailError(message: string | null): void {
    this._detailError = message;
    const node = this._detail.querySelector<HTMLElement>(
      '[data-testid="scalelab-run-detail-error"]'
    );
    if (node) {
      setError(node, message);
    }
  }

  private async _cancel(run: RunModel, control: HTMLButtonElement): Promise<void> {
    control.disabled = true;
    this._showDetailError(null);
    try {
      await this.model.cancel(run.id);
    } catch (err) {
      control.disabled = false;
      this._showDetailError(
        this.trans.__('Could not cancel the run: %1', errorMessage(err))
      );
    }
  }

  private async _register(run: RunModel, control: HTMLButtonElement): Promise<void> {
    control.disabled = true;
    this._showDetailError(null);
    const args: RegisterModelArgs = { project: run.project, run: run.id, target: run.target };
    try {
      await this._commands.execute(CommandIDs.registerModel, { ...args });
    } catch (err) {
      this._showDetailError(
        this.trans.__('Could not register a model: %1', errorMessage(err))
      );
    } finally {
      control.disabled = false;
    }
  }

  private async _compare(
    run: RunModel,
    previous: RunModel,
    step: StepModel,
    control: HTMLButtonElement
  ): Promise<void> {
    const slug = this.model.slug;
    if (slug === null) {
      return;
    }
    control.disabled = true;
    this._showDetailError(null);
    const args: CompareRunsArgs = {
      project: slug,
      run: run.id,
      compare: previous.id,
      step: step.name,
      reportErrors: false
    };
    try {
      await this._commands.execute(CommandIDs.compareRuns, { ...args });
    } catch (err) {
      this._showDetailError(
        this.trans.__('Could not compare %1: %2', step.name, errorMessage(err))
      );
    } finally {
      control.disabled = false;
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _detail: HTMLElement;
  private _detailError: string | null = null;
  private _shownSlug: string | null = null;
  private _shownSelected: string | null = null;
}
