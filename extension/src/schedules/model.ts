import { type IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';

import {
  type ProjectModel,
  type ScaleLabClient,
  type ScheduleEvent,
  type ScheduleModel,
  type UserModel
} from '../common/api';
import { DEFAULT_SETTINGS } from '../common/settings';
import { canEditSchedules, sortSchedules } from './helpers';

/** The client calls the schedules model makes. */
export type SchedulesClient = Pick<
  ScaleLabClient,
  'listSchedules' | 'scheduleHistory' | 'updateSchedule' | 'deleteSchedule'
>;

/** Options for {@link SchedulesModel}. */
export interface SchedulesModelOptions {
  client: SchedulesClient;
  /** Milliseconds between polls while the schedules are shown. */
  interval?: number;
}

/** The history of one expanded schedule, as far as it is loaded. */
export interface HistoryState {
  /** `null` until loaded. */
  events: ScheduleEvent[] | null;
  /** Why the last load failed, or `null`. */
  error: unknown;
}

/**
 * The schedules of the current project, by name, with the histories of the
 * expanded ones, the per-schedule errors and the schedules being changed.
 *
 * While shown (the panel is shown and the Schedules tab selected), they
 * are reloaded every {@link interval} ms. {@link changed} is emitted
 * whenever the state changes.
 */
export class SchedulesModel implements IDisposable {
  constructor(options: SchedulesModelOptions) {
    this._client = options.client;
    const interval = options.interval ?? DEFAULT_SETTINGS.schedulesPollInterval;
    this._poll = new Poll({
      name: 'scalelab:schedules',
      factory: () => this._load(),
      frequency: { interval, backoff: false, max: interval },
      standby: () => this.slug === null || !this.shown
    });
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Milliseconds between polls while shown. */
  get interval(): number {
    return this._poll.frequency.interval;
  }
  set interval(interval: number) {
    if (!this.isDisposed && interval !== this.interval) {
      this._poll.frequency = { interval, backoff: false, max: interval };
    }
  }

  get project(): ProjectModel | null {
    return this._project;
  }

  get slug(): string | null {
    return this._project?.slug ?? null;
  }

  /** The schedules, by name. */
  get schedules(): readonly ScheduleModel[] {
    return this._schedules;
  }

  /** Whether the schedules of the shown project were loaded (or failed to) once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Why the last load failed, or `null`. */
  get error(): unknown {
    return this._error;
  }

  /** Whether the caller may edit the schedules. */
  get canEdit(): boolean {
    return canEditSchedules(this._project, this._user);
  }

  /** The id of the highlighted schedule (e.g. one just saved), if any. */
  get highlighted(): number | null {
    return this._highlight;
  }

  /** Whether the panel is shown and the Schedules tab selected. */
  get shown(): boolean {
    return this._active && this._visible;
  }

  /** Whether the history of schedule `id` is expanded. */
  isExpanded(id: number): boolean {
    return this._expanded.has(id);
  }

  /** The history of an expanded schedule (`undefined` before its first load). */
  history(id: number): HistoryState | undefined {
    return this._histories.get(id);
  }

  /** Whether schedule `id` is being changed. */
  isBusy(id: number): boolean {
    return this._busy.has(id);
  }

  /** Why the last action on schedule `id` failed, if it did. */
  rowError(id: number): unknown {
    return this._rowErrors.get(id) ?? null;
  }

  /** Show an error under schedule `id` (`null`: none). */
  setRowError(id: number, error: unknown): void {
    if (error === null || error === undefined) {
      this._rowErrors.delete(id);
    } else {
      this._rowErrors.set(id, error);
    }
    this._changed.emit();
  }

  /** Show the schedules of `project` (or nothing) for `user`. */
  setProject(project: ProjectModel | null, user: UserModel | null): void {
    const changed = project?.slug !== this._project?.slug;
    this._project = project;
    this._user = user;
    if (changed) {
      this._loadId++;
      this._schedules = [];
      this._loaded = false;
      this._error = null;
      this._expanded.clear();
      this._histories.clear();
      this._rowErrors.clear();
      this._highlight = null;
    }
    this._changed.emit();
    if (changed && project !== null && this.shown) {
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
    this.replace(schedule);
    await this.reload();
  }

  /** Add or update a schedule of the shown project. */
  replace(schedule: ScheduleModel): void {
    if (schedule.project !== this.slug) {
      return;
    }
    this._schedules = sortSchedules([
      ...this._schedules.filter(s => s.id !== schedule.id),
      schedule
    ]);
    this._changed.emit();
  }

  /** Reload the schedules (and the expanded histories) now. */
  async reload(): Promise<void> {
    await this._load();
  }

  /** Expand or collapse the history of a schedule; expanding loads it. */
  toggleHistory(id: number): void {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    if (this._expanded.has(id)) {
      this._expanded.delete(id);
      this._histories.delete(id);
      this._changed.emit();
      return;
    }
    this._expanded.add(id);
    this._changed.emit();
    void this._loadHistory(slug, id);
  }

  /** Pause or resume a schedule; an error is kept as its row error. */
  async setPaused(schedule: ScheduleModel, paused: boolean): Promise<void> {
    await this._act(schedule, async slug => {
      this.replace(await this._client.updateSchedule(slug, schedule.id, { paused }));
    });
  }

  /** Delete a schedule; an error is kept as its row error. */
  async remove(schedule: ScheduleModel): Promise<void> {
    await this._act(schedule, async slug => {
      await this._client.deleteSchedule(slug, schedule.id);
      this._schedules = this._schedules.filter(s => s.id !== schedule.id);
      this._expanded.delete(schedule.id);
      this._histories.delete(schedule.id);
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._loadId++;
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _setShown(active: boolean, visible: boolean): void {
    if (this.isDisposed) {
      return;
    }
    const was = this.shown;
    this._active = active;
    this._visible = visible;
    if (this.shown && !was && this._project !== null) {
      void this.reload();
    }
  }

  /** Run an action on a schedule, marked busy; keep its error. */
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
    this._changed.emit();
    try {
      await action(slug);
    } catch (err) {
      this._rowErrors.set(schedule.id, err ?? new Error('unknown error'));
    } finally {
      this._busy.delete(schedule.id);
    }
    if (this.slug === slug) {
      this._changed.emit();
      await this.reload();
    }
  }

  /** Load the schedules; only the newest load counts. Never rejects. */
  private async _load(): Promise<void> {
    const slug = this.slug;
    if (slug === null || this.isDisposed) {
      return;
    }
    const id = ++this._loadId;
    try {
      const list = await this._client.listSchedules(slug);
      if (id !== this._loadId) {
        return;
      }
      this._schedules = sortSchedules(list.schedules);
      this._error = null;
      const ids = new Set(this._schedules.map(s => s.id));
      for (const expanded of [...this._expanded]) {
        if (!ids.has(expanded)) {
          this._expanded.delete(expanded);
          this._histories.delete(expanded);
        }
      }
      for (const expanded of this._expanded) {
        void this._loadHistory(slug, expanded);
      }
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      this._error = err ?? new Error('unknown error');
    }
    this._loaded = true;
    this._changed.emit();
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
      this._histories.set(id, {
        events: this._histories.get(id)?.events ?? null,
        error: err ?? new Error('unknown error')
      });
    }
    this._changed.emit();
  }

  private readonly _client: SchedulesClient;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _expanded = new Set<number>();
  private readonly _histories = new Map<number, HistoryState>();
  private readonly _busy = new Set<number>();
  private readonly _rowErrors = new Map<number, unknown>();
  private _project: ProjectModel | null = null;
  private _user: UserModel | null = null;
  private _schedules: ScheduleModel[] = [];
  private _highlight: number | null = null;
  private _error: unknown = null;
  private _loaded = false;
  private _active = false;
  private _visible = false;
  private _loadId = 0;
}
