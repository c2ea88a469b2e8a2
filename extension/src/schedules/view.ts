import { type CommandRegistry } from '@lumino/commands';

import { type ScaleLabClient, type ScheduleEvent, type ScheduleModel } from '../common/api';
import { CommandIDs } from '../common/commands';
import { confirmDeleteSchedule } from '../common/dialogs';
import {
  badge,
  button,
  classes,
  el,
  errorLine,
  nameLine,
  reveal,
  setError,
  viewHeader
} from '../common/dom';
import { errorMessage, formatTimestamp } from '../common/helpers';
import { ProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import { statusClass } from '../runs/helpers';
import { openScheduleDialog } from './form';
import {
  formatCron,
  formatFireTime,
  formatNextFire,
  type OpenScheduleDialog,
  outcomeClass
} from './helpers';
import { type SchedulesModel } from './model';

/** Asks before deleting a schedule; resolves to `true` to delete. */
export type ConfirmDeleteSchedule = (schedule: ScheduleModel) => Promise<boolean>;

/** Options for {@link SchedulesView}. */
export interface SchedulesViewOptions {
  model: SchedulesModel;
  /** For the schedule dialog (its parameters and cron preview). */
  client: ScaleLabClient;
  /** Run ids in the histories execute {@link CommandIDs.openRun}. */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** The schedule dialog for Edit; default: a JupyterLab dialog. */
  openScheduleDialog?: OpenScheduleDialog;
  /** Asks before deleting; default: a JupyterLab dialog. */
  confirmDelete?: ConfirmDeleteSchedule;
}

/**
 * The schedules of the current project (a {@link SchedulesModel}): name,
 * target, cron and timezone, next fire time, last status and paused state;
 * Pause/Resume, Edit and Delete for editors and up; the history of each.
 */
export class SchedulesView extends ProjectListView<SchedulesModel> {
  readonly node: HTMLElement;

  constructor(options: SchedulesViewOptions) {
    super(options.model, options.trans);
    this._commands = options.commands;
    const trans = this.trans;
    this._openDialog =
      options.openScheduleDialog ??
      (request => openScheduleDialog(options.client, request, trans));
    this._confirmDelete =
      options.confirmDelete ?? (schedule => confirmDeleteSchedule(schedule, trans));
    this._status = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      testid: 'scalelab-schedules-status'
    });
    this._hint = el('div', {
      className: 'jp-ScaleLabPanel-muted jp-ScaleLabSchedules-hint',
      text: trans.__(
        'To add one, right-click a notebook or pipeline in the file browser and ' +
          'choose “Schedule…”, or use “Schedule…” on a finished run.'
      )
    });
    this._error = errorLine('scalelab-schedules-error');
    this._list = el('ul', {
      className: 'jp-ScaleLabSchedules-list',
      testid: 'scalelab-schedules',
      attrs: { 'aria-label': trans.__('Schedules') }
    });
    this.node = el(
      'section',
      { className: 'jp-ScaleLabRuns jp-ScaleLabSchedules', testid: 'scalelab-schedules-view' },
      viewHeader(
        trans.__('Schedules'),
        () => {
          void this.model.reload();
        },
        {
          testid: 'scalelab-schedules-refresh',
          title: trans.__('Reload the schedules'),
          label: trans.__('Refresh')
        }
      ),
      this._status,
      this._error,
      this._list,
      this._hint
    );
    this.render();
  }

  /** Scroll the highlighted schedule into view. */
  revealHighlighted(): void {
    reveal(this._list.querySelector('.jp-mod-selected'));
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    const schedules = model.schedules;
    this.renderListState(
      { status: this._status, error: this._error, list: this._list },
      {
        empty: trans.__('No schedules yet.'),
        loadError: message => trans.__('Could not load the schedules: %1', message)
      }
    );
    const loading = model.project !== null && !model.loaded;
    this._hint.hidden = loading || schedules.length > 0 || !model.canEdit;
    this._list.replaceChildren(...schedules.map(s => this._row(s)));
  }

  private _row(schedule: ScheduleModel): HTMLLIElement {
    const model = this.model;
    const trans = this.trans;
    const canEdit = model.canEdit;
    const archived = model.project?.archived === true;
    const busy = model.isBusy(schedule.id);
    const expanded = model.isExpanded(schedule.id);
    const highlighted = schedule.id === model.highlighted;

    const top = nameLine(
      {
        testid: 'scalelab-schedule-name',
        text: schedule.name,
        title: trans.__('Created %1 by %2', formatTimestamp(schedule.created_at), schedule.created_by)
      },
      ...(schedule.paused ? [badge(trans.__('paused'), 'jp-mod-skipped', 'scalelab-schedule-paused')] : []),
      badge(
        schedule.last_status ?? trans.__('no runs'),
        schedule.last_status ? statusClass(schedule.last_status) : 'jp-mod-skipped',
        'scalelab-schedule-status',
        schedule.last_run_id
          ? trans.__('Last run %1', schedule.last_run_id) +
              (schedule.last_fire_at
                ? ` (${formatFireTime(schedule.last_fire_at, schedule.timezone)})`
                : '')
          : trans.__('Not run yet')
      )
    );

    const row = el(
      'li',
      {
        className: classes('jp-ScaleLabSchedules-row', {
          'jp-mod-selected': highlighted,
          'jp-mod-paused': schedule.paused
        }),
        testid: 'scalelab-schedule-row',
        attrs: {
          'data-schedule-id': String(schedule.id),
          'data-paused': String(schedule.paused),
          'data-status': schedule.last_status ?? ''
        }
      },
      top,
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta',
        testid: 'scalelab-schedule-target',
        text: schedule.target,
        title: trans.__('Notebook or pipeline')
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta jp-ScaleLabSchedules-cron',
        testid: 'scalelab-schedule-cron',
        text: formatCron(schedule)
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta',
        testid: 'scalelab-schedule-next',
        text: trans.__('Next: %1', formatNextFire(schedule)),
        title: schedule.next_fire_at ?? trans.__('Paused: no next fire time')
      })
    );

    const actions = el('div', { className: 'jp-ScaleLabPanel-actions' });
    if (canEdit) {
      const pause = button(
        schedule.paused ? trans.__('Resume') : trans.__('Pause'),
        () => {
          void model.setPaused(schedule, !schedule.paused);
        },
        {
          testid: 'scalelab-schedule-pause',
          title: schedule.paused
            ? trans.__('Fire again from now on')
            : trans.__('Stop firing until resumed')
        }
      );
      const edit = button(
        trans.__('Edit'),
        () => {
          void this._edit(schedule);
        },
        { testid: 'scalelab-schedule-edit' }
      );
      const remove = button(
        trans.__('Delete'),
        () => {
          void this._delete(schedule);
        },
        {
          testid: 'scalelab-schedule-delete',
          warn: true,
          title: trans.__('Delete the schedule; its runs stay')
        }
      );
      pause.disabled = busy || archived;
      edit.disabled = busy || archived;
      remove.disabled = busy;
      if (archived) {
        pause.title = edit.title = trans.__('The project is archived');
      }
      actions.append(pause, edit, remove);
    }
    const toggle = button(
      expanded ? trans.__('Hide history') : trans.__('History'),
      () => {
        model.toggleHistory(schedule.id);
      },
      {
        testid: 'scalelab-schedule-history-toggle',
        attrs: { 'aria-expanded': String(expanded) }
      }
    );
    actions.append(toggle);
    row.append(actions);

    const error = errorLine('scalelab-schedule-row-error');
    const rowError = model.rowError(schedule.id);
    setError(error, rowError === null ? null : errorMessage(rowError));
    row.append(error);
    if (expanded) {
      row.append(this._history(schedule));
    }
    return row;
  }

  private _history(schedule: ScheduleModel): HTMLElement {
    const trans = this.trans;
    const state = this.model.history(schedule.id);
    const host = el('div', { className: 'jp-ScaleLabSchedules-historyHost' });
    const failed = state !== undefined && state.error !== null;
    if (state !== undefined && state.error !== null) {
      const error = errorLine('scalelab-schedule-history-error');
      setError(error, trans.__('Could not load the history: %1', errorMessage(state.error)));
      host.append(error);
    }
    const events = state?.events ?? null;
    if (events === null) {
      if (!failed) {
        host.append(el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('Loading…') }));
      }
      return host;
    }
    if (events.length === 0) {
      host.append(
        el('div', {
          className: 'jp-ScaleLabPanel-muted',
          testid: 'scalelab-schedule-history-empty',
          text: trans.__('Nothing yet: the schedule has not fired.')
        })
      );
    }
    host.append(
      el(
        'ol',
        {
          className: 'jp-ScaleLabSchedules-history',
          testid: 'scalelab-schedule-history',
          attrs: { 'data-schedule-id': String(schedule.id) }
        },
        ...events.map(event => this._event(schedule, event))
      )
    );
    return host;
  }

  private _event(schedule: ScheduleModel, event: ScheduleEvent): HTMLLIElement {
    const top = el(
      'div',
      { className: 'jp-ScaleLabRuns-runTop' },
      el('span', {
        className: 'jp-ScaleLabSchedules-due',
        testid: 'scalelab-schedule-event-due',
        text: formatFireTime(event.due_at, schedule.timezone),
        title: this.trans.__('Due %1; handled %2', event.due_at, event.at)
      }),
      badge(event.outcome, outcomeClass(event.outcome), 'scalelab-schedule-event-outcome')
    );
    const item = el(
      'li',
      {
        className: 'jp-ScaleLabSchedules-event',
        testid: 'scalelab-schedule-event',
        attrs: { 'data-outcome': event.outcome, 'data-run-id': event.run_id ?? '' }
      },
      top
    );
    const runId = event.run_id;
    if (runId) {
      const slug = schedule.project;
      const trans = this.trans;
      let link: HTMLElement;
      if (this._commands.hasCommand(CommandIDs.openRun)) {
        const anchor = el('a', {
          className: 'jp-ScaleLabSchedules-runLink',
          testid: 'scalelab-schedule-event-run',
          text: runId,
          title: trans.__('Show this run in the Runs view'),
          attrs: { href: '#', role: 'button' }
        });
        anchor.addEventListener('click', e => {
          e.preventDefault();
          void this._commands.execute(CommandIDs.openRun, { project: slug, run: runId });
        });
        link = anchor;
      } else {
        link = el('span', { testid: 'scalelab-schedule-event-run', text: runId });
      }
      const line = el('div', { className: 'jp-ScaleLabRuns-runMeta' }, trans.__('Run '), link);
      if (event.run_status) {
        line.append(
          ' ',
          badge(event.run_status, statusClass(event.run_status), 'scalelab-schedule-event-status')
        );
      }
      item.append(line);
    }
    if (event.detail) {
      item.append(
        el('div', {
          className: 'jp-ScaleLabRuns-runMeta',
          testid: 'scalelab-schedule-event-detail',
          text: event.detail
        })
      );
    }
    return item;
  }

  private async _edit(schedule: ScheduleModel): Promise<void> {
    const slug = this.model.slug;
    if (slug === null) {
      return;
    }
    this.model.setRowError(schedule.id, null);
    let saved: ScheduleModel | null;
    try {
      saved = await this._openDialog({ slug, target: schedule.target, schedule });
    } catch (err) {
      this.model.setRowError(schedule.id, err ?? new Error('unknown error'));
      return;
    }
    if (saved && this.model.slug === slug) {
      this.model.replace(saved);
      await this.model.reload();
    }
  }

  private async _delete(schedule: ScheduleModel): Promise<void> {
    let ok: boolean;
    try {
      ok = await this._confirmDelete(schedule);
    } catch {
      ok = false;
    }
    if (ok) {
      await this.model.remove(schedule);
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _openDialog: OpenScheduleDialog;
  private readonly _confirmDelete: ConfirmDeleteSchedule;
  private readonly _status: HTMLElement;
  private readonly _hint: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _list: HTMLUListElement;
}
