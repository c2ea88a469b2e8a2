import { type ScaleLabClient, type ScheduleEvent, type ScheduleModel } from '../common/api';
import { ShownProjectListModel } from '../common/listmodel';
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
export class SchedulesModel extends ShownProjectListModel<ScheduleModel> {
  constructor(options: SchedulesModelOptions) {
    super({
      name: 'scalelab:schedules',
      interval: options.interval ?? DEFAULT_SETTINGS.schedulesPollInterval
    });
    this._client = options.client;
  }

  /** The schedules, by name. */
  get schedules(): readonly ScheduleModel[] {
    return this.items;
  }

  /** Whether the caller may edit the schedules. */
  get canEdit(): boolean {
    return canEditSchedules(this.project, this.user);
  }

  /** The id of the highlighted schedule (e.g. one just saved), if any. */
  get highlighted(): number | null {
    return this._highlight;
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
    this.emitChanged();
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
    this.setItems(sortSchedules([...this.items.filter(s => s.id !== schedule.id), schedule]));
    this.emitChanged();
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
      this.emitChanged();
      return;
    }
    this._expanded.add(id);
    this.emitChanged();
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
      this.setItems(this.items.filter(s => s.id !== schedule.id));
      this._expanded.delete(schedule.id);
      this._histories.delete(schedule.id);
    });
  }

  /** Load the schedules (and the expanded histories). */
  protected async fetch(slug: string): Promise<ScheduleModel[]> {
    return sortSchedules((await this._client.listSchedules(slug)).schedules);
  }

  protected onProjectChanged(): void {
    this._expanded.clear();
    this._histories.clear();
    this._rowErrors.clear();
    this._highlight = null;
  }

  protected onLoaded(slug: string): void {
    const ids = new Set(this.items.map(s => s.id));
    for (const expanded of [...this._expanded]) {
      if (!ids.has(expanded)) {
        this._expanded.delete(expanded);
        this._histories.delete(expanded);
      }
    }
    for (const expanded of this._expanded) {
      void this._loadHistory(slug, expanded);
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
    this.emitChanged();
    try {
      await action(slug);
    } catch (err) {
      this._rowErrors.set(schedule.id, err ?? new Error('unknown error'));
    } finally {
      this._busy.delete(schedule.id);
    }
    if (this.slug === slug) {
      this.emitChanged();
      await this.reload();
    }
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
    this.emitChanged();
  }

  private readonly _client: SchedulesClient;
  private readonly _expanded = new Set<number>();
  private readonly _histories = new Map<number, HistoryState>();
  private readonly _busy = new Set<number>();
  private readonly _rowErrors = new Map<number, unknown>();
  private _highlight: number | null = null;
}
