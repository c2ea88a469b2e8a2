import {
  type DeploymentEventModel,
  type EndpointModel,
  type ScaleLabClient
} from '../common/api';
import { SelectableProjectListModel } from '../common/listmodel';
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
export class DeploymentsModel extends SelectableProjectListModel<
  EndpointModel,
  readonly DeploymentEventModel[],
  Omit<DeploymentActionError, 'reason'>
> {
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

  /** The selected endpoint, if any. */
  get selectedEndpoint(): EndpointModel | null {
    return this.selectedItem;
  }

  /** The history of the selected endpoint, newest first (`null` until loaded). */
  get events(): readonly DeploymentEventModel[] | null {
    return this.history;
  }

  /** Why the history of the selected endpoint could not be loaded, or `null`. */
  get eventsError(): unknown {
    return this.historyError;
  }

  /** Send all traffic to the new version of endpoint `name` now; resolves to whether it worked. */
  async promote(name: string): Promise<boolean> {
    return this.act(name, { action: 'promote', endpoint: name }, async slug => {
      this.update(await this._client.promoteDeployment(slug, name));
    });
  }

  /** Go back to the version before on endpoint `name`; resolves to whether it worked. */
  async rollback(name: string): Promise<boolean> {
    return this.act(name, { action: 'rollback', endpoint: name }, async slug => {
      this.update(await this._client.rollbackDeployment(slug, name));
    });
  }

  /** Stop and remove endpoint `name`; resolves to whether it worked. */
  async remove(name: string): Promise<boolean> {
    return this.act(name, { action: 'remove', endpoint: name }, async slug => {
      await this._client.deleteDeployment(slug, name);
      this.drop(slug, name);
    });
  }

  protected async fetch(slug: string): Promise<EndpointModel[]> {
    return sortEndpoints((await this._client.listDeployments(slug)).deployments);
  }

  protected async fetchHistory(slug: string, name: string): Promise<DeploymentEventModel[]> {
    return sortEvents((await this._client.deploymentEvents(slug, name, EVENTS_LIMIT)).events);
  }

  protected upsert(endpoints: readonly EndpointModel[], endpoint: EndpointModel): EndpointModel[] {
    return upsertEndpoint(endpoints, endpoint);
  }

  private readonly _client: DeploymentsClient;
}
