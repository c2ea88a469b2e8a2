import {
  type DeploymentEventModel,
  type EndpointModel,
  type ScaleLabClient
} from '../common/api';
import { PolledProjectListModel } from '../common/listmodel';
import { DEFAULT_SETTINGS } from '../common/settings';
import { canDeploy, sortEndpoints, sortEvents, upsertEndpoint } from './helpers';

/** The client calls the deployments model makes. */
export type DeploymentsClient = Pick<
  ScaleLabClient,
  | 'listDeployments'
  | 'deploymentEvents'
  | 'promoteDeployment'
  | 'rollbackDeployment'
  | 'deleteDeployment'
>;

/** Options for {@link DeploymentsModel}. */
export interface DeploymentsModelOptions {
  client: DeploymentsClient;
  /** Milliseconds between polls while the endpoints are shown. */
  interval?: number;
}

/** The last action on an endpoint that failed, and why. */
export interface DeploymentActionError {
  action: 'promote' | 'rollback' | 'remove';
  endpoint: string;
  reason: unknown;
}

/** How many history entries are shown. */
export const EVENTS_LIMIT = 50;

/**
 * The model endpoints of the current project, by name, with the history
 * of the selected one; deployers (and hub admins) promote, roll back and
 * remove them (the dialogs deploy versions and scale, through the client).
 *
 * While shown (the dashboard is shown and the Deployments tab selected),
 * the endpoints and the selected one's history are reloaded every
 * {@link interval} ms. {@link changed} is emitted whenever the state changes.
 */
export class DeploymentsModel extends PolledProjectListModel<EndpointModel> {
  constructor(options: DeploymentsModelOptions) {
    super({
      name: 'scalelab:deployments',
      interval: options.interval ?? DEFAULT_SETTINGS.schedulesPollInterval
    });
    this._client = options.client;
  }

  /** The endpoints, by name. */
  get endpoints(): readonly EndpointModel[] {
    return this.items;
  }

  /** Whether the caller may deploy, switch, scale and remove endpoints. */
  get canDeploy(): boolean {
    return this.project !== null && canDeploy(this.project, this.user);
  }

  /** Whether the dashboard is shown and the Deployments tab selected. */
  get shown(): boolean {
    return this._active && this._visible;
  }

  /** The name of the selected endpoint (its history is shown), if any. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected endpoint, if any. */
  get selectedEndpoint(): EndpointModel | null {
    return this.items.find(e => e.name === this._selected) ?? null;
  }

  /** The history of the selected endpoint, newest first (`null` until loaded). */
  get events(): readonly DeploymentEventModel[] | null {
    return this._events;
  }

  /** Why the history of the selected endpoint could not be loaded, or `null`. */
  get eventsError(): unknown {
    return this._eventsError;
  }

  /** The last action that failed, if it did (until the next one). */
  get actionError(): DeploymentActionError | null {
    return this._actionError;
  }

  /** Whether endpoint `name` is being changed. */
  isBusy(name: string): boolean {
    return this._busy.has(name);
  }

  /** The dashboard is shown (`true`) or hidden; polls only while shown. */
  setActive(active: boolean): void {
    this._setShown(active, this._visible);
  }

  /** The Deployments tab is selected (`true`) or not; polls only while selected. */
  setVisible(visible: boolean): void {
    this._setShown(this._active, visible);
  }

  /** Select endpoint `name` and load its history. */
  select(name: string | null): void {
    if (name === this._selected) {
      return;
    }
    this._selected = name;
    this._events = null;
    this._eventsError = null;
    this.emitChanged();
    const slug = this.slug;
    if (slug !== null && name !== null) {
      void this._loadEvents(slug, name);
    }
  }

  /** Add or update an endpoint of the shown project (e.g. as an action answered), select it. */
  replace(endpoint: EndpointModel): void {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    this.setItems(upsertEndpoint(this.items, endpoint));
    if (this._selected !== endpoint.name) {
      this.select(endpoint.name);
      return;
    }
    this.emitChanged();
    void this._loadEvents(slug, endpoint.name);
  }

  /** Send all traffic to the new version of endpoint `name` now; resolves to whether it worked. */
  async promote(name: string): Promise<boolean> {
    return this._act({ action: 'promote', endpoint: name }, async slug => {
      this._update(await this._client.promoteDeployment(slug, name));
    });
  }

  /** Go back to the version before on endpoint `name`; resolves to whether it worked. */
  async rollback(name: string): Promise<boolean> {
    return this._act({ action: 'rollback', endpoint: name }, async slug => {
      this._update(await this._client.rollbackDeployment(slug, name));
    });
  }

  /** Stop and remove endpoint `name`; resolves to whether it worked. */
  async remove(name: string): Promise<boolean> {
    return this._act({ action: 'remove', endpoint: name }, async slug => {
      await this._client.deleteDeployment(slug, name);
      if (this.slug === slug) {
        this.setItems(this.items.filter(e => e.name !== name));
        if (this._selected === name) {
          this._selected = this.items[0]?.name ?? null;
          this._events = null;
          this._eventsError = null;
        }
      }
    });
  }

  protected async fetch(slug: string): Promise<EndpointModel[]> {
    return sortEndpoints((await this._client.listDeployments(slug)).deployments);
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
    this._events = null;
    this._eventsError = null;
  }

  protected onLoaded(slug: string): void {
    if (!this.items.some(e => e.name === this._selected)) {
      this._selected = this.items[0]?.name ?? null;
      this._events = null;
      this._eventsError = null;
    }
    if (this._selected !== null) {
      void this._loadEvents(slug, this._selected);
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

  /** Show an endpoint as an action answered it. */
  private _update(endpoint: EndpointModel | undefined): void {
    if (endpoint) {
      this.setItems(upsertEndpoint(this.items, endpoint));
    }
  }

  /** Act on an endpoint, marked busy; keep the error; then reload its history. */
  private async _act(
    what: Omit<DeploymentActionError, 'reason'>,
    action: (slug: string) => Promise<void>
  ): Promise<boolean> {
    const slug = this.slug;
    if (slug === null || this._busy.has(what.endpoint)) {
      return false;
    }
    this._busy.add(what.endpoint);
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
      this._busy.delete(what.endpoint);
    }
    if (this.slug !== slug) {
      return ok;
    }
    this.emitChanged();
    if (this._selected !== null) {
      void this._loadEvents(slug, this._selected);
    }
    return ok;
  }

  private async _loadEvents(slug: string, name: string): Promise<void> {
    const id = ++this._eventsLoad;
    try {
      const list = await this._client.deploymentEvents(slug, name, EVENTS_LIMIT);
      if (id !== this._eventsLoad || this.slug !== slug || this._selected !== name) {
        return;
      }
      this._events = sortEvents(list.events);
      this._eventsError = null;
    } catch (err) {
      if (id !== this._eventsLoad || this.slug !== slug || this._selected !== name) {
        return;
      }
      this._eventsError = err ?? new Error('unknown error');
    }
    this.emitChanged();
  }

  private readonly _client: DeploymentsClient;
  private readonly _busy = new Set<string>();
  private _actionError: DeploymentActionError | null = null;
  private _selected: string | null = null;
  private _events: DeploymentEventModel[] | null = null;
  private _eventsError: unknown = null;
  private _eventsLoad = 0;
  private _active = false;
  private _visible = false;
}
