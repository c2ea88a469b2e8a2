import { type CommandRegistry } from '@lumino/commands';

import { type ModelVersionModel, type RegisteredModelModel } from '../common/api';
import { CommandIDs } from '../common/commands';
import { button, el, errorLine, setError, viewHeader } from '../common/dom';
import {
  errorMessage,
  formatRelativeTime,
  formatTimestamp,
  singleLine
} from '../common/helpers';
import { ProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import { MODEL_ALIASES } from './helpers';
import { type ModelActionError, type ModelsModel } from './model';

/**
 * Asks which alias to point at `version` of `model` (one of `offered`, or
 * typed); resolves to the alias, or `null` when cancelled.
 */
export type AskAlias = (
  model: RegisteredModelModel,
  version: ModelVersionModel,
  offered: readonly string[]
) => Promise<string | null>;

/** Options for {@link ModelsView}. */
export interface ModelsViewOptions {
  model: ModelsModel;
  /** The ScaleLab run of a version executes {@link CommandIDs.openRun}, if registered. */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** Asks for the alias of "Set alias…"; default: a JupyterLab dialog. */
  askAlias?: AskAlias;
  /** The current time, for "3 hours ago" (tests). */
  now?: () => number;
}

/** Attributes of a link that opens in a new browser tab. */
function newTabLink(href: string): Record<string, string> {
  return { href, target: '_blank', rel: 'noopener noreferrer' };
}

/**
 * The registered models of the current project (a {@link ModelsModel}):
 * for each, a link to it in the MLflow UI and a table of its versions,
 * newest first (version, aliases, created, by whom, the ScaleLab run);
 * deployers set an alias on a version and remove an alias.
 */
export class ModelsView extends ProjectListView<ModelsModel> {
  readonly node: HTMLElement;

  constructor(options: ModelsViewOptions) {
    super(options.model, options.trans);
    this._commands = options.commands;
    this._now = options.now ?? Date.now;
    const trans = this.trans;
    this._askAlias =
      options.askAlias ??
      (async (model, version, offered) => {
        // The dialog (and JupyterLab's dialog code) loads with its first use.
        const { askModelAlias } = await import('../common/dialogs');
        return askModelAlias(model, version, offered, trans);
      });

    this._status = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      testid: 'scalelab-models-status'
    });
    this._error = errorLine('scalelab-models-error');
    this._actionError = errorLine('scalelab-models-action-error');
    this._list = el('ul', {
      className: 'jp-ScaleLabModels-list',
      testid: 'scalelab-models',
      attrs: { 'aria-label': trans.__('Registered models') }
    });
    this.node = el(
      'section',
      { className: 'jp-ScaleLabRuns jp-ScaleLabModels', testid: 'scalelab-models-view' },
      viewHeader(
        trans.__('Models'),
        () => {
          void this.model.reload();
        },
        {
          testid: 'scalelab-models-refresh',
          title: trans.__('Reload the registered models'),
          label: trans.__('Refresh')
        }
      ),
      this._status,
      this._error,
      this._actionError,
      this._list
    );
    this.render();
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    this.node.hidden = model.project === null;
    this.renderListState(
      { status: this._status, error: this._error, list: this._list },
      {
        empty: trans.__('No registered models yet: register one from a run (deployers)'),
        loadError: message =>
          trans.__('Could not load the registered models: %1', singleLine(message))
      }
    );
    const failed = model.actionError;
    setError(this._actionError, failed === null ? null : this._describe(failed));
    this._list.replaceChildren(...model.models.map(m => this._item(m)));
  }

  private _describe(failed: ModelActionError): string {
    const message = singleLine(errorMessage(failed.reason));
    return failed.action === 'set-alias'
      ? this.trans.__(
          'Could not set alias %1 on version %2 of %3: %4',
          failed.alias,
          failed.version ?? '',
          failed.model,
          message
        )
      : this.trans.__(
          'Could not remove alias %1 of %2: %3',
          failed.alias,
          failed.model,
          message
        );
  }

  private _item(model: RegisteredModelModel): HTMLLIElement {
    const trans = this.trans;
    const count = model.versions.length;
    const top = el(
      'div',
      { className: 'jp-ScaleLabRuns-runTop' },
      el('span', {
        className: 'jp-ScaleLabRuns-target jp-ScaleLabModels-name',
        testid: 'scalelab-model-name',
        text: model.name,
        title: trans.__('Registered %1', formatTimestamp(model.created_at))
      }),
      el('a', {
        className: 'jp-ScaleLabModels-link',
        testid: 'scalelab-model-mlflow',
        text: trans.__('Open in MLflow'),
        title: trans.__('Model %1 in the MLflow UI (new browser tab)', model.name),
        attrs: newTabLink(model.url)
      })
    );
    const meta = el('div', {
      className: 'jp-ScaleLabRuns-runMeta',
      text:
        trans._n('%1 version', '%1 versions', count) +
        ' · ' +
        trans.__('updated %1', formatRelativeTime(model.updated_at, this._now(), trans)),
      title: trans.__('Updated %1', formatTimestamp(model.updated_at))
    });
    const item = el(
      'li',
      {
        className: 'jp-ScaleLabModels-model',
        testid: 'scalelab-model',
        attrs: { 'data-model': model.name }
      },
      top,
      meta
    );
    if (count === 0) {
      item.append(
        el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('No versions.') })
      );
      return item;
    }
    const head = el(
      'tr',
      {},
      el('th', { text: trans.__('Version') }),
      el('th', { text: trans.__('Aliases') }),
      el('th', { text: trans.__('Created') }),
      el('th', { text: trans.__('Created by') }),
      el('th', { text: trans.__('Run') }),
      el('th', { attrs: { 'aria-label': trans.__('Actions') } })
    );
    item.append(
      el(
        'table',
        {
          className: 'jp-ScaleLabModels-versions',
          attrs: { 'aria-label': trans.__('Versions of %1', model.name) }
        },
        el('thead', {}, head),
        el('tbody', {}, ...model.versions.map(v => this._version(model, v)))
      )
    );
    return item;
  }

  private _version(model: RegisteredModelModel, version: ModelVersionModel): HTMLTableRowElement {
    const trans = this.trans;
    const canDeploy = this.model.canDeploy;
    const busy = this.model.isBusy(model.name);

    const aliases = el('td', { className: 'jp-ScaleLabModels-aliases' });
    for (const alias of version.aliases) {
      const chip = el('span', {
        className: 'jp-ScaleLabModels-alias',
        testid: 'scalelab-model-alias',
        attrs: { 'data-alias': alias }
      });
      chip.append(el('span', { text: alias }));
      if (canDeploy) {
        const remove = button(
          '×',
          () => {
            void this.model.removeAlias(model.name, alias);
          },
          {
            className: 'jp-ScaleLabModels-aliasRemove',
            testid: 'scalelab-model-alias-remove',
            title: trans.__('Remove alias %1', alias),
            attrs: {
              'aria-label': trans.__(
                'Remove alias %1 from version %2 of %3',
                alias,
                version.version,
                model.name
              )
            }
          }
        );
        remove.disabled = busy;
        chip.append(remove);
      }
      aliases.append(chip);
    }

    const actions = el('td', { className: 'jp-ScaleLabModels-actions' });
    if (canDeploy) {
      const set = button(
        trans.__('Set alias…'),
        () => {
          void this._setAlias(model, version);
        },
        {
          testid: 'scalelab-model-set-alias',
          attrs: {
            'aria-label': trans.__('Set an alias on version %1 of %2', version.version, model.name)
          }
        }
      );
      set.disabled = busy;
      actions.append(set);
    }

    return el(
      'tr',
      {
        testid: 'scalelab-model-version',
        attrs: { 'data-version': version.version, 'data-status': version.status }
      },
      el('td', {
        className: 'jp-ScaleLabModels-version',
        text: version.version,
        title: version.source
      }),
      aliases,
      el('td', {
        text: formatRelativeTime(version.created_at, this._now(), trans),
        title: formatTimestamp(version.created_at)
      }),
      el('td', { text: version.created_by ?? '—' }),
      el('td', {}, this._runLink(version)),
      actions
    );
  }

  /** The ScaleLab run that made a version: shows it in the Runs tab, if that can be done. */
  private _runLink(version: ModelVersionModel): HTMLElement | string {
    const trans = this.trans;
    const runId = version.scalelab_run_id;
    const slug = this.model.slug;
    if (!runId) {
      return el('span', {
        className: 'jp-ScaleLabPanel-muted',
        text: '—',
        title: version.run_id ? trans.__('MLflow run %1', version.run_id) : ''
      });
    }
    if (slug === null || !this._commands.hasCommand(CommandIDs.openRun)) {
      return el('span', { testid: 'scalelab-model-run', text: runId });
    }
    const link = el('a', {
      className: 'jp-ScaleLabSchedules-runLink',
      testid: 'scalelab-model-run',
      text: runId,
      title: trans.__('Show run %1 in the Runs tab', runId),
      attrs: { href: '#', role: 'button' }
    });
    link.addEventListener('click', event => {
      event.preventDefault();
      void this._commands.execute(CommandIDs.openRun, { project: slug, run: runId });
    });
    return link;
  }

  private async _setAlias(model: RegisteredModelModel, version: ModelVersionModel): Promise<void> {
    const offered = MODEL_ALIASES.filter(alias => !version.aliases.includes(alias));
    let alias: string | null;
    try {
      alias = await this._askAlias(model, version, offered);
    } catch {
      alias = null;
    }
    alias = alias?.trim() ?? '';
    if (alias) {
      await this.model.setAlias(model.name, alias, version.version);
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _askAlias: AskAlias;
  private readonly _now: () => number;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _actionError: HTMLElement;
  private readonly _list: HTMLUListElement;
}
