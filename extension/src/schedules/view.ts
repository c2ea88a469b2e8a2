import {
  type ProjectModel,
  type ScaleLabClient,
  type ScheduleEvent,
  type ScheduleModel,
  type UserModel
} from './api';
import { badge, button, classes, el, errorLine, nameLine, reveal, setError, viewHeader } from './dom';
import { errorMessage, formatTimestamp } from './helpers';
import { Poller } from './poller';
import { statusClass } from './runhelpers';
import {
  canEditSchedules,
  formatCron,
  formatFireTime,
  formatNextFire,
  type OpenScheduleDialog,
  outcomeClass,
  SCHEDULES_POLL_INTERVAL,
  sortSchedules
} from './schedulehelpers';

/** Asks before deleting a schedule; resolves to `true` to delete. */
export type ConfirmDeleteSchedule = (schedule: ScheduleModel) => Promise<boolean>;

/** Shows run `runId` of project `slug` (e.g. in the Runs view). */
export type OpenRun = (slug: string, runId: string) => void;

/** Options for {@link SchedulesView}. */
export interface SchedulesViewOptions {
  client: ScaleLabClient;
  /** The schedule dialog; missing: no Edit button. */
  openScheduleDialog?: OpenScheduleDialog;
  /** Missing: delete without asking. */
  confirmDelete?: ConfirmDeleteSchedule;
  /** Missing: run ids in the history are plain text. */
  openRun?: OpenRun;
}

/** The history of one schedule, as far as it is loaded. */
interface HistoryState {
  events: ScheduleEvent[] | null;
  error: string | null;
}

/**
 * The schedules of the current project: name, target, cron and timezone,
 * next fire time, last status and paused state; Pause/Resume, Edit and
 * Delete for editors and up; the history of each.
 *
 * While it is shown (the panel is shown and its tab selected), it reloads
 * every {@link SCHEDULES_POLL_INTERVAL} ms.
 */
export class SchedulesView {
  readonly node: HTMLElement;

  constructor(options: SchedulesViewOptions) {
    this._options = options;
    this._client = options.client;
    this._poller = new Poller({
      interval: SCHEDULES_POLL_INTERVAL,
      keepPolling: () => this.slug !== null && this._shown,
      poll: () => this.reload()
    });
    this._status = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      testid: 'scalelab-schedules-status'
    });
    this._hint = el('div', {
      className: 'jp-ScaleLabPanel-muted jp-ScaleLabSchedules-hint',
      text:
        'To add one, right-click a notebook or pipeline in the file browser and ' +
        'choose “Schedule…”, or use “Schedule…” on a finished run.'
    });
    this._error = errorLine('scalelab-schedules-error');
    this._list = el('ul', {
      className: 'jp-ScaleLabSchedules-list',
      testid: 'scalelab-schedules',
      attrs: { 'aria-label': 'Schedules' }
    });
    this.node = el(
      'section',
      { className: 'jp-ScaleLabRuns jp-ScaleLabSchedules', testid: 'scalelab-schedules-view' },
      viewHeader(
        'Schedules',
        () => {
          void this.reload();
        },
        { testid: 'scalelab-schedules-refresh', title: 'Reload the schedules' }
      ),
      this._status,
      this._error,
      this._list,
      this._hint
    );
    this._render();
  }

  /** The slug of the shown project, if any. */
  get slug(): string | null {
    return this._project?.slug ?? null;
  }

  /** The schedules shown, by name. */
  get schedules(): readonly ScheduleModel[] {
    return this._schedules;
  }

  /** Whether the caller may edit the schedules. */
  get canEdit(): boolean {
    return canEditSchedules(this._project, this._user);
  }

  /** Show the schedules of `project` (or nothing) for `user`. */
  setProject(project: ProjectModel | null, user: UserModel | null): void {
    const changed = project?.slug !== this._project?.slug;
    this._project = project;
    this._user = user;
    if (!changed) {
      this._render();
      return;
    }
    this._poller.cancel();
    this._schedules = [];
    this._loaded = false;
    this._expanded.clear();
    this._histories.clear();
    this._rowErrors.clear();
    this._highlight = null;
    setError(this._error, null);
    this._render();
    if (project !== null && this._shown) {
      void this.reload();
    }
  }

  /** The panel is shown (`true`) or hidden; polls only while shown. */
  setActive(active: boolean): void {
    this._setShown(active, this._visible);
  }

  /** The Schedules tab is selected (`true`) or not; polls only while selected. */
  setVisible(visible: boolean): void {
    this._setShown(this._active, visible);
  }

  /** Add or update `schedule` of the shown project, highlight it, reload. */
  async showSchedule(schedule: ScheduleModel): Promise<void> {
    if (this.slug === null || schedule.project !== this.slug) {
      return;
    }
    this._highlight = schedule.id;
    this._replace(schedule);
    reveal(this._list.querySelector('.jp-mod-selected'));
    await this.reload();
  }

  /** Reload the schedules (and the open histories) of the shown project. */
  async reload(): Promise<void> {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    await this._poller.load(
      () => this._client.listSchedules(slug),
      list => {
        this._schedules = sortSchedules(list.schedules);
        this._loaded = true;
        setError(this._error, null);
        const ids = new Set(this._schedules.map(s => s.id));
        for (const expanded of [...this._expanded]) {
          if (!ids.has(expanded)) {
            this._expanded.delete(expanded);
            this._histories.delete(expanded);
          }
        }
        this._render();
        for (const expanded of this._expanded) {
          void this._loadHistory(slug, expanded);
        }
      },
      err => {
        this._loaded = true;
        setError(this._error, `Could not load the schedules: ${errorMessage(err)}`);
        this._render();
      }
    );
  }

  /** Stop polling for good. */
  dispose(): void {
    this._poller.dispose();
  }

  private _setShown(active: boolean, visible: boolean): void {
    if (this._poller.disposed) {
      return;
    }
    const was = this._shown;
    this._active = active;
    this._visible = visible;
    if (!this._shown) {
      this._poller.stop();
    } else if (!was && this._project !== null) {
      void this.reload();
    }
  }

  private get _shown(): boolean {
    return this._active && this._visible;
  }

  private _render(): void {
    const loading = this._project !== null && !this._loaded;
    this._status.textContent = loading ? 'Loading…' : 'No schedules yet.';
    this._status.hidden = !loading && this._schedules.length > 0;
    this._hint.hidden = loading || this._schedules.length > 0 || !this.canEdit;
    this._list.hidden = this._schedules.length === 0;
    this._list.replaceChildren(...this._schedules.map(s => this._row(s)));
  }

  private _row(schedule: ScheduleModel): HTMLLIElement {
    const canEdit = this.canEdit;
    const archived = this._project?.archived === true;
    const busy = this._busy.has(schedule.id);
    const expanded = this._expanded.has(schedule.id);
    const highlighted = schedule.id === this._highlight;

    const top = nameLine(
      {
        testid: 'scalelab-schedule-name',
        text: schedule.name,
        title: `Created ${formatTimestamp(schedule.created_at)} by ${schedule.created_by}`
      },
      ...(schedule.paused ? [badge('paused', 'jp-mod-skipped', 'scalelab-schedule-paused')] : []),
      badge(
        schedule.last_status ?? 'no runs',
        schedule.last_status ? statusClass(schedule.last_status) : 'jp-mod-skipped',
        'scalelab-schedule-status',
        schedule.last_run_id
          ? `Last run ${schedule.last_run_id}` +
              (schedule.last_fire_at
                ? ` (${formatFireTime(schedule.last_fire_at, schedule.timezone)})`
                : '')
          : 'Not run yet'
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
        title: 'Notebook or pipeline'
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta jp-ScaleLabSchedules-cron',
        testid: 'scalelab-schedule-cron',
        text: formatCron(schedule)
      }),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta',
        testid: 'scalelab-schedule-next',
        text: `Next: ${formatNextFire(schedule)}`,
        title: schedule.next_fire_at ?? 'Paused: no next fire time'
      })
    );

    const actions = el('div', { className: 'jp-ScaleLabPanel-actions' });
    if (canEdit) {
      const pause = button(
        schedule.paused ? 'Resume' : 'Pause',
        () => {
          void this._setPaused(schedule, !schedule.paused);
        },
        {
          testid: 'scalelab-schedule-pause',
          title: schedule.paused ? 'Fire again from now on' : 'Stop firing until resumed'
        }
      );
      const edit = button(
        'Edit',
        () => {
          void this._edit(schedule);
        },
        { testid: 'scalelab-schedule-edit' }
      );
      const remove = button(
        'Delete',
        () => {
          void this._delete(schedule);
        },
        { testid: 'scalelab-schedule-delete', warn: true, title: 'Delete the schedule; its runs stay' }
      );
      pause.disabled = busy || archived;
      edit.disabled = busy || archived || !this._options.openScheduleDialog;
      remove.disabled = busy;
      if (archived) {
        pause.title = edit.title = 'The project is archived';
      }
      actions.append(pause, edit, remove);
    }
    const toggle = button(
      expanded ? 'Hide history' : 'History',
      () => {
        this._toggleHistory(schedule);
      },
      {
        testid: 'scalelab-schedule-history-toggle',
        attrs: { 'aria-expanded': String(expanded) }
      }
    );
    actions.append(toggle);
    row.append(actions);

    const error = errorLine('scalelab-schedule-row-error');
    setError(error, this._rowErrors.get(schedule.id) ?? null);
    row.append(error);
    if (expanded) {
      row.append(this._history(schedule));
    }
    return row;
  }

  private _history(schedule: ScheduleModel): HTMLElement {
    const state = this._histories.get(schedule.id);
    const host = el('div', { className: 'jp-ScaleLabSchedules-historyHost' });
    if (state?.error) {
      const error = errorLine('scalelab-schedule-history-error');
      setError(error, state.error);
      host.append(error);
    }
    const events = state?.events ?? null;
    if (events === null) {
      if (!state?.error) {
        host.append(el('div', { className: 'jp-ScaleLabPanel-muted', text: 'Loading…' }));
      }
      return host;
    }
    if (events.length === 0) {
      host.append(
        el('div', {
          className: 'jp-ScaleLabPanel-muted',
          testid: 'scalelab-schedule-history-empty',
          text: 'Nothing yet: the schedule has not fired.'
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
        title: `Due ${event.due_at}; handled ${event.at}`
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
      const { openRun } = this._options;
      let link: HTMLElement;
      if (openRun) {
        const anchor = el('a', {
          className: 'jp-ScaleLabSchedules-runLink',
          testid: 'scalelab-schedule-event-run',
          text: runId,
          title: 'Show this run in the Runs view',
          attrs: { href: '#', role: 'button' }
        });
        anchor.addEventListener('click', e => {
          e.preventDefault();
          openRun(slug, runId);
        });
        link = anchor;
      } else {
        link = el('span', { testid: 'scalelab-schedule-event-run', text: runId });
      }
      const line = el('div', { className: 'jp-ScaleLabRuns-runMeta' }, 'Run ', link);
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

  private _toggleHistory(schedule: ScheduleModel): void {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    if (this._expanded.has(schedule.id)) {
      this._expanded.delete(schedule.id);
      this._histories.delete(schedule.id);
      this._render();
      return;
    }
    this._expanded.add(schedule.id);
    this._render();
    void this._loadHistory(slug, schedule.id);
  }

  private async _loadHistory(slug: string, id: number): Promise<void> {
    try {
      const history = await this._client.scheduleHistory(slug, id);
      if (this.slug !== slug || !this._expanded.has(id)) {
        return;
      }
      this._histories.set(id, { events: history.events, error: null });
    } catch (err) {
      if (this.slug !== slug || !this._expanded.has(id)) {
        return;
      }
      const previous = this._histories.get(id);
      this._histories.set(id, {
        events: previous?.events ?? null,
        error: `Could not load the history: ${errorMessage(err)}`
      });
    }
    this._render();
  }

  private async _setPaused(schedule: ScheduleModel, paused: boolean): Promise<void> {
    await this._act(schedule, async slug => {
      const updated = await this._client.updateSchedule(slug, schedule.id, { paused });
      this._replace(updated);
    });
  }

  private async _edit(schedule: ScheduleModel): Promise<void> {
    const open = this._options.openScheduleDialog;
    const slug = this.slug;
    if (!open || slug === null) {
      return;
    }
    this._rowErrors.delete(schedule.id);
    let saved: ScheduleModel | null;
    try {
      saved = await open({ slug, target: schedule.target, schedule });
    } catch (err) {
      this._rowErrors.set(schedule.id, errorMessage(err));
      this._render();
      return;
    }
    if (saved && this.slug === slug) {
      this._replace(saved);
      await this.reload();
    }
  }

  private async _delete(schedule: ScheduleModel): Promise<void> {
    const confirm = this._options.confirmDelete;
    if (confirm) {
      let ok: boolean;
      try {
        ok = await confirm(schedule);
      } catch {
        ok = false;
      }
      if (!ok) {
        return;
      }
    }
    await this._act(schedule, async slug => {
      await this._client.deleteSchedule(slug, schedule.id);
      this._schedules = this._schedules.filter(s => s.id !== schedule.id);
      this._expanded.delete(schedule.id);
      this._histories.delete(schedule.id);
    });
  }

  /** Run an action on a schedule with its buttons disabled; show its error. */
  private async _act(
    schedule: ScheduleModel,
    action: (slug: string) => Promise<void>
  ): Promise<void> {
    const slug = this.slug;
    if (slug === null || this._busy.has(schedule.id)) {
      return;
    }
    this._busy.add(schedule.id);
    this._rowErrors.delete(schedule.id);
    this._render();
    try {
      await action(slug);
    } catch (err) {
      this._rowErrors.set(schedule.id, errorMessage(err));
    } finally {
      this._busy.delete(schedule.id);
    }
    if (this.slug === slug) {
      this._render();
      await this.reload();
    }
  }

  private _replace(schedule: ScheduleModel): void {
    if (schedule.project !== this.slug) {
      return;
    }
    this._schedules = sortSchedules([
      ...this._schedules.filter(s => s.id !== schedule.id),
      schedule
    ]);
    this._render();
  }

  private readonly _options: SchedulesViewOptions;
  private readonly _client: ScaleLabClient;
  private readonly _poller: Poller;
  private readonly _status: HTMLElement;
  private readonly _hint: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _expanded = new Set<number>();
  private readonly _histories = new Map<number, HistoryState>();
  private readonly _busy = new Set<number>();
  private readonly _rowErrors = new Map<number, string>();
  private _project: ProjectModel | null = null;
  private _user: UserModel | null = null;
  private _schedules: ScheduleModel[] = [];
  private _highlight: number | null = null;
  private _loaded = false;
  private _active = false;
  private _visible = false;
}
