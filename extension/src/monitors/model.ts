import {
  type MonitorBreachModel,
  type MonitorCheckModel,
  type MonitorModel,
  type ScaleLabClient
} from '../common/api';
import { SelectableProjectListModel } from '../common/listmodel';
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
export class MonitorsModel extends SelectableProjectListModel<
  MonitorModel,
  MonitorHistoryState,
  Omit<MonitorActionError, 'reason'>
> {
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

  /** The selected monitor, if any. */
  get selectedMonitor(): MonitorModel | null {
    return this.selectedItem;
  }

  /** Check monitor `name` now, whatever its cron says; resolves to whether it was taken. */
  async checkNow(name: string): Promise<boolean> {
    return this.act(name, { action: 'check', monitor: name }, async slug => {
      this.update(await this._client.checkMonitor(slug, name));
    });
  }

  /** Pause (`true`) or resume monitor `name`; resolves to whether it worked. */
  async setPaused(name: string, paused: boolean): Promise<boolean> {
    return this.act(name, { action: paused ? 'pause' : 'resume', monitor: name }, async slug => {
      this.update(await this._client.updateMonitor(slug, name, { paused }));
    });
  }

  /** Delete monitor `name` with its history; resolves to whether it worked. */
  async remove(name: string): Promise<boolean> {
    return this.act(name, { action: 'remove', monitor: name }, async slug => {
      await this._client.deleteMonitor(slug, name);
      this.drop(slug, name);
    });
  }

  protected async fetch(slug: string): Promise<MonitorModel[]> {
    return sortMonitors((await this._client.listMonitors(slug)).monitors);
  }

  protected async fetchHistory(slug: string, name: string): Promise<MonitorHistoryState> {
    const { checks, breaches } = await this._client.monitorChecks(slug, name);
    return { checks, breaches };
  }

  protected upsert(monitors: readonly MonitorModel[], monitor: MonitorModel): MonitorModel[] {
    return upsertMonitor(monitors, monitor);
  }

  private readonly _client: MonitorsClient;
}
