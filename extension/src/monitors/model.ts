import {
  type MonitorBreachModel,
  type MonitorCheckModel,
  type MonitorModel,
  type ScaleLabClient
} from '../common/api';
import { PolledProjectListModel } from '../common/listmodel';
import { DEFAULT_SETTINGS } from '../common/settings';
import { canDeploy, sortMonitors, upsertMonitor } from './helpers';

/** The client calls the monitors model makes. */
export type MonitorsClient = Pick<
  ScaleLabClient,
  'listMonitors' | 'monitorChecks' | 'checkMonitor' | 'updateMonitor' | 'deleteMonitor'
>;

/** Options for {@link MonitorsModel}. */
export interface MonitorsModelOptions {
  client: MonitorsClient;
  /** Milliseconds between polls while the monitors are shown. */
  interval?: number;
}

/** The last action on a monitor that failed, and why. */
export interface MonitorActionError {
  action: 'check' | 'pause' | 'resume' | 'remove';
  monitor: string;
  reason: unknown;
}

/** The checks and breaches of the selected monitor, as the service gives them (newest first). */
export interface MonitorHistoryState {
  checks: readonly MonitorCheckModel[];
  breaches: readonly MonitorBreachModel[];
}

/**
 * The monitors of the current project, by name, with the checks and
 * breaches of the selected one; deployers (and hub admins) check now,
 * pause, resume and delete them.
 *
 * While shown (the dashboard is shown and the Monitors tab selected), the
 * monitors and the selected one's history are reloaded every
 * {@link interval} ms: a check or a breach's loop moves on by itself.
 * {@link changed} is emitted whenever the state changes.
 */
export class MonitorsModel extends PolledProjectListModel<MonitorModel> {
  constructor(options: MonitorsModelOptions) {
    super({
      name: 'scalelab:monitors',
      interval: options.interval ?? DEFAULT_SETTINGS.schedulesPollInterval
    });
    this._client = options.client;
  }

  /** The monitors, by name. */
  get monitors(): readonly MonitorModel[] {
    return this.items;
  }

  /** Whether the caller may create, check, pause and delete monitors. */
  get canDeploy(): boolean {
    return this.project !== null && canDeploy(this.project, this.user);
  }

  /** Whether the dashboard is shown and the Monitors tab selected. */
  get shown(): boolean {
    return this._active && this._visible;
  }

  /** The name of the selected monitor (its history is shown), if any. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected monitor, if any. */
  get selectedMonitor(): MonitorModel | null {
    return this.items.find(m => m.name === this._selected) ?? null;
  }

  /** The checks and breaches of the selected monitor (`null` until loaded). */
  get history(): MonitorHistoryState | null {
    return this._history;
  }

  /** Why the history of the selected monitor could not be loaded, or `null`. */
  get historyError(): unknown {
    return this._historyError;
  }

  /** The last action that failed, if it did (until the next one). */
  get actionError(): MonitorActionError | null {
    return this._actionError;
  }

  /** Whether monitor `name` is being changed. */
  isBusy(name: string): boolean {
    return this._busy.has(name);
  }

  /** The dashboard is shown (`true`) or hidden; polls only while shown. */
  setActive(active: boolean): void {
    this._setShown(active, this._visible);
  }

  /** The Monitors tab is selected (`true`) or not; polls only while selected. */
  setVisible(visible: boolean): void {
    this._setShown(this._active, visible);
  }

  /** Select monitor `name` and load its history. */
  select(name: string | null): void {
    if (name === this._selected) {
      return;
    }
    this._selected = name;
    this._forgetHistory();
    this.emitChanged();
    const slug = this.slug;
    if (slug !== null && name !== null) {
      void this._loadHistory(slug, name);
    }
  }

  /** Add or update a monitor of the shown project (e.g. one just created), select it. */
  replace(monitor: MonitorModel): void {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    this.setItems(upsertMonitor(this.items, monitor));
    if (this._selected !== monitor.name) {
      this.select(monitor.name);
      return;
    }
    this.emitChanged();
    void this._loadHistory(slug, monitor.name);
  }

  /** Check monitor `name` now, whatever its cron says; resolves to whether it was taken. */
  async checkNow(name: string): Promise<boolean> {
    return this._act({ action: 'check', monitor: name }, async slug => {
      this._update(await this._client.checkMonitor(slug, name));
    });
  }

  /** Pause (`true`) or resume monitor `name`; resolves to whether it worked. */
  async setPaused(name: string, paused: boolean): Promise<boolean> {
    return this._act({ action: paused ? 'pause' : 'resume', monitor: name }, async slug => {
      this._update(await this._client.updateMonitor(slug, name, { paused }));
    });
  }

  /** Delete monitor `name` with its history; resolves to whether it worked. */
  async remove(name: string): Promise<boolean> {
    return this._act({ action: 'remove', monitor: name }, async slug => {
      await this._client.deleteMonitor(slug, name);
      if (this.slug === slug) {
        this.setItems(this.items.filter(m => m.name !== name));
        if (this._selected === name) {
          this._selected = this.items[0]?.name ?? null;
          this._forgetHistory();
        }
      }
    });
  }

  protected async fetch(slug: string): Promise<MonitorModel[]> {
    return sortMonitors((await this._client.listMonitors(slug)).monitors);
  }

  protected polling(): boolean {
    return this.shown;
  }

  protected shouldLoad(): boolean {
    return this.shown;
  }

  protected onProjectChanged(): void {
    this._busy.clear();
    this._actionError = null;
    this._selected = null;
    this._forgetHistory();
  }

  protected onLoaded(slug: string): void {
    if (!this.items.some(m => m.name === this._selected)) {
      this._selected = this.items[0]?.name ?? null;
      this._forgetHistory();
    }
    if (this._selected !== null) {
      void this._loadHistory(slug, this._selected);
    }
  }

  private _setShown(active: boolean, visible: boolean): void {
    if (this.isDisposed) {
      return;
    }
    const was = this.shown;
    this._active = active;
    this._visible = visible;
    if (this.shown && !was && this.project !== null) {
      void this.reload();
    }
  }

  private _forgetHistory(): void {
    this._history = null;
    this._historyError = null;
  }

  /** Show a monitor as an action answered it. */
  private _update(monitor: MonitorModel | undefined): void {
    if (monitor) {
      this.setItems(upsertMonitor(this.items, monitor));
    }
  }

  /** Act on a monitor, marked busy; keep the error; then reload the history shown. */
  private async _act(
    what: Omit<MonitorActionError, 'reason'>,
    action: (slug: string) => Promise<void>
  ): Promise<boolean> {
    const slug = this.slug;
    if (slug === null || this._busy.has(what.monitor)) {
      return false;
    }
    this._busy.add(what.monitor);
    this._actionError = null;
    this.emitChanged();
    let ok = true;
    try {
      await action(slug);
    } catch (err) {
      ok = false;
      if (this.slug === slug) {
        this._actionError = { ...what, reason: err ?? new Error('unknown error') };
      }
    } finally {
      this._busy.delete(what.monitor);
    }
    if (this.slug !== slug) {
      return ok;
    }
    this.emitChanged();
    if (this._selected !== null) {
      void this._loadHistory(slug, this._selected);
    }
    return ok;
  }

  private async _loadHistory(slug: string, name: string): Promise<void> {
    const id = ++this._historyLoad;
    const current = () => id === this._historyLoad && this.slug === slug && this._selected === name;
    try {
      const { checks, breaches } = await this._client.monitorChecks(slug, name);
      if (!current()) {
        return;
      }
      this._history = { checks, breaches };
      this._historyError = null;
    } catch (err) {
      if (!current()) {
        return;
      }
      this._historyError = err ?? new Error('unknown error');
    }
    this.emitChanged();
  }

  private readonly _client: MonitorsClient;
  private readonly _busy = new Set<string>();
  private _actionError: MonitorActionError | null = null;
  private _selected: string | null = null;
  private _history: MonitorHistoryState | null = null;
  private _historyError: unknown = null;
  private _historyLoad = 0;
  private _active = false;
  private _visible = false;
}
