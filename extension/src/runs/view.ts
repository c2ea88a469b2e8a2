import {
  type NotebookDiff,
  type ProjectModel,
  type RunModel,
  type ScaleLabClient,
  type StepModel,
  type UserModel
} from './api';
import { badge, button, classes, el, errorLine, nameLine, reveal, setError, viewHeader } from './dom';
import { errorMessage, formatTimestamp } from './helpers';
import { Poller } from './poller';
import {
  canCancelRuns,
  compareTarget,
  formatAttempts,
  formatDuration,
  formatParameters,
  formatQueuePlace,
  formatStarted,
  hasActiveRuns,
  isActiveStatus,
  sortRuns,
  statusClass,
  upsertRun
} from './runhelpers';
import { canEditSchedules } from './schedulehelpers';

/** How often the runs are reloaded while one is queued or running (ms). */
export const POLL_INTERVAL = 2000;

/** Opens a step's output notebook (a lab path) read-only. */
export type OpenOutput = (path: string) => Promise<unknown>;

/** Shows a diff of a step between two runs, e.g. in the main area. */
export type ShowDiff = (diff: NotebookDiff, title: string) => void;

/** Options for {@link RunsView}. */
export interface RunsViewOptions {
  client: ScaleLabClient;
  /** Missing when outputs cannot be opened. */
  openOutput?: OpenOutput;
  /** Missing when diffs cannot be shown. */
  showDiff?: ShowDiff;
  /**
   * Open the schedule dialog for a finished run's target and parameters
   * ("Schedule…"); missing: no such button.
   */
  scheduleRun?: (run: RunModel) => void;
}

function statusBadge(status: string, testid: string): HTMLElement {
  return badge(status, statusClass(status), testid);
}

/**
 * The runs of the current project, newest first, with the details of the
 * selected run (parameters, error, steps, open output, compare, cancel).
 *
 * While a run is queued or running and the view is active (the panel is
 * shown), the runs are reloaded every {@link POLL_INTERVAL} ms.
 */
export class RunsView {
  readonly node: HTMLElement;

  constructor(options: RunsViewOptions) {
    this._options = options;
    this._client = options.client;
    this._poller = new Poller({
      interval: POLL_INTERVAL,
      // Polls while runs are going even when the panel is hidden: a run started from the
      // file browser must be current when the panel is shown again.
      keepPolling: () => this.slug !== null && hasActiveRuns(this._runs),
      poll: () => this.reload()
    });

    this._status = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._error = errorLine('scalelab-runs-error');
    this._list = el('ul', {
      className: 'jp-ScaleLabRuns-list jp-ScaleLab-pickList',
      testid: 'scalelab-runs-list',
      attrs: { role: 'listbox', 'aria-label': 'Runs' }
    });
    this._detail = el('div', {
      className: 'jp-ScaleLabRuns-detailHost'
    });
    this.node = el(
      'section',
      { className: 'jp-ScaleLabRuns', testid: 'scalelab-runs' },
      viewHeader(
        'Runs',
        () => {
          void this.reload();
        },
        { testid: 'scalelab-runs-refresh', title: 'Reload the runs' }
      ),
      this._status,
      this._error,
      this._list,
      this._detail
    );
    this.node.hidden = true;
    this._render();
  }

  /** The slug of the shown project, if any. */
  get slug(): string | null {
    return this._project?.slug ?? null;
  }

  /** The runs shown, newest first. */
  get runs(): readonly RunModel[] {
    return this._runs;
  }

  /** The id of the selected run, if any. */
  get selectedId(): string | null {
    return this._selected;
  }

  /** Whether the runs are polled (the panel is shown). */
  get active(): boolean {
    return this._active;
  }

  /** Show the runs of `project` (or nothing) for `user`. */
  setProject(project: ProjectModel | null, user: UserModel | null): void {
    const changed = project?.slug !== this._project?.slug;
    this._project = project;
    this._user = user;
    if (!changed) {
      this._render();
      return;
    }
    this._poller.cancel();
    this._runs = [];
    this._selected = null;
    this._detailError = null;
    this._loaded = false;
    setError(this._error, null);
    this.node.hidden = project === null;
    this._render();
    if (project !== null) {
      void this.reload();
    }
  }

  /**
   * Start or stop polling; call with `true` when the panel is shown and
   * `false` when it is hidden. Becoming active reloads the runs.
   */
  setActive(active: boolean): void {
    if (active === this._active || this._poller.disposed) {
      return;
    }
    this._active = active;
    if (!active) {
      this._poller.stop();
    } else if (this._project !== null && this._loaded) {
      void this.reload();
    }
  }

  /** Add or update `run` of the shown project, select it and reload. */
  async showRun(run: RunModel): Promise<void> {
    if (this.slug === null) {
      return;
    }
    this._runs = upsertRun(this._runs, run);
    this.select(run.id);
    this._scrollToSelected();
    await this.reload();
    this._scrollToSelected();
  }

  /** Select a run (or none) and show its details. */
  select(id: string | null): void {
    if (id !== this._selected) {
      this._detailError = null;
    }
    this._selected = id;
    this._render();
  }

  /** Reload the runs of the shown project. */
  async reload(): Promise<void> {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    await this._poller.load(
      () => this._client.listRuns(slug),
      list => {
        this._runs = sortRuns(list.runs);
        this._loaded = true;
        setError(this._error, null);
        if (this._selected !== null && !this._runs.some(r => r.id === this._selected)) {
          this._selected = null;
        }
        this._render();
      },
      err => {
        this._loaded = true;
        setError(this._error, `Could not load the runs: ${errorMessage(err)}`);
        this._render();
      }
    );
  }

  /** Stop polling for good. */
  dispose(): void {
    this._active = false;
    this._poller.dispose();
  }

  private _scrollToSelected(): void {
    reveal(this._list.querySelector('.jp-mod-selected'));
    if (!this._detail.hidden) {
      reveal(this._detail);
    }
  }

  private _render(): void {
    const loading = this._project !== null && !this._loaded;
    this._status.textContent = loading ? 'Loading…' : 'No runs yet.';
    this._status.hidden = !loading && this._runs.length > 0;
    this._list.hidden = this._runs.length === 0;
    this._list.replaceChildren(...this._runs.map(run => this._row(run)));
    const run = this._runs.find(r => r.id === this._selected) ?? null;
    this._detail.hidden = run === null;
    this._detail.replaceChildren(...(run ? [this._details(run)] : []));
  }

  private _row(run: RunModel): HTMLLIElement {
    const selected = run.id === this._selected;
    const duration = formatDuration(run);
    const place = formatQueuePlace(run);
    const item = el(
      'li',
      {
        className: classes('jp-ScaleLabRuns-run jp-ScaleLab-pickItem', {
          'jp-mod-selected': selected
        }),
        testid: `scalelab-run-${run.id}`,
        title: `Run ${run.id} by ${run.triggered_by || 'unknown'}`,
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
    item.addEventListener('click', () => {
      this.select(run.id);
    });
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.select(run.id);
      }
    });
    return item;
  }

  private _details(run: RunModel): HTMLElement {
    const error = errorLine('scalelab-run-detail-error');
    setError(error, this._detailError);
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
        text: `Run ${run.id}`,
        title: `Created ${run.created_at}`
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv',
        text:
          `${run.kind} · ${run.trigger} by ${run.triggered_by || 'unknown'}` +
          (run.executor ? ` · ${run.executor}` : '')
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv',
        text:
          `Started ${run.started_at ? formatTimestamp(run.started_at) : '—'}` +
          (run.finished_at ? ` · finished ${formatTimestamp(run.finished_at)}` : '') +
          (formatDuration(run) ? ` · ${formatDuration(run)}` : '')
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-kv jp-ScaleLabRuns-params',
        testid: 'scalelab-run-parameters',
        text: `Parameters: ${formatParameters(run.parameters) || 'defaults'}`
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
    if (isActiveStatus(run.status) && canCancelRuns(this._project, this._user)) {
      const cancel = button(
        'Cancel run',
        () => {
          void this._cancel(run, cancel);
        },
        { testid: 'scalelab-run-cancel', warn: true }
      );
      node.append(el('div', { className: 'jp-ScaleLabPanel-actions' }, cancel));
    }
    const { scheduleRun } = this._options;
    if (
      scheduleRun &&
      !isActiveStatus(run.status) &&
      this._project?.archived === false &&
      canEditSchedules(this._project, this._user)
    ) {
      node.append(
        el(
          'div',
          { className: 'jp-ScaleLabPanel-actions' },
          button(
            'Schedule…',
            () => {
              scheduleRun(run);
            },
            {
              testid: 'scalelab-run-schedule',
              title: `Run ${run.target} on a schedule, with these parameters`
            }
          )
        )
      );
    }
    node.append(
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: 'Steps' }),
      el(
        'ol',
        { className: 'jp-ScaleLabRuns-steps' },
        ...run.steps.map(step => this._step(run, step))
      ),
      error
    );
    if (run.steps.length === 0) {
      node.append(el('div', { className: 'jp-ScaleLabPanel-muted', text: 'No steps yet.' }));
    }
    return node;
  }

  private _step(run: RunModel, step: StepModel): HTMLLIElement {
    const facts = [formatAttempts(step.attempts)];
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
          text: `reused from ${step.reused_from}`
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
              ? `cell ${step.failed_cell}: ${step.error}`
              : step.error
        })
      );
    }

    const output = step.output;
    const { openOutput } = this._options;
    const open = button(
      'Open output',
      output && openOutput
        ? () => {
            this._showDetailError(null);
            openOutput(output).catch((err: unknown) => {
              this._showDetailError(`Could not open ${output}: ${errorMessage(err)}`);
            });
          }
        : () => undefined,
      { testid: 'scalelab-open-output', title: output ?? 'No output notebook yet' }
    );
    open.disabled = !output || !openOutput;

    const previous = compareTarget(this._runs, run, step);
    const compare = button(
      'Compare with previous run',
      previous
        ? () => {
            void this._compare(run, previous, step, compare);
          }
        : () => undefined,
      {
        testid: 'scalelab-compare',
        title: previous
          ? `Diff ${step.name} of run ${previous.id} and run ${run.id}`
          : 'No earlier run of this target with this step'
      }
    );
    compare.disabled = previous === null || !this._options.showDiff;
    item.append(el('div', { className: 'jp-ScaleLabPanel-actions' }, open, compare));
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

  private async _cancel(
    run: RunModel,
    control: HTMLButtonElement
  ): Promise<void> {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    control.disabled = true;
    this._showDetailError(null);
    try {
      const updated = await this._client.cancelRun(slug, run.id);
      if (updated && updated.id === run.id && this.slug === slug) {
        this._runs = upsertRun(this._runs, updated);
        this._render();
      }
      await this.reload();
    } catch (err) {
      control.disabled = false;
      this._showDetailError(`Could not cancel the run: ${errorMessage(err)}`);
    }
  }

  private async _compare(
    run: RunModel,
    previous: RunModel,
    step: StepModel,
    control: HTMLButtonElement
  ): Promise<void> {
    const slug = this.slug;
    const show = this._options.showDiff;
    if (slug === null || !show) {
      return;
    }
    control.disabled = true;
    this._showDetailError(null);
    try {
      const diff = await this._client.diffRuns(slug, run.id, previous.id, step.name);
      show(diff, `Diff ${step.name}: ${previous.id} → ${run.id}`);
    } catch (err) {
      this._showDetailError(`Could not compare ${step.name}: ${errorMessage(err)}`);
    } finally {
      control.disabled = false;
    }
  }

  private readonly _options: RunsViewOptions;
  private readonly _client: ScaleLabClient;
  private readonly _poller: Poller;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _detail: HTMLElement;
  private _project: ProjectModel | null = null;
  private _user: UserModel | null = null;
  private _runs: RunModel[] = [];
  private _selected: string | null = null;
  private _detailError: string | null = null;
  private _loaded = false;
  private _active = false;
}
