/**
 * Typed client for the ScaleLab REST API.
 *
 * This module deliberately has no JupyterLab imports so it can be unit-tested
 * in plain Node with a fake `fetch`.
 *
 * The request and response types are those of the service's OpenAPI document,
 * generated into `./openapi.ts` by `make api-types` (never edit that file).
 */

import type { components } from './openapi';

type Schemas = components['schemas'];

/** The signed-in user, as returned by `GET api/me`. */
export type UserModel = Schemas['UserModel'];

/** The hub's deployment mode, and whether the OS holds kernels to roles. */
export type DeploymentModel = Schemas['DeploymentHealth'];

/**
 * Service health, as returned by `GET api/health`. `deployment` stays optional:
 * services older than this extension leave it out.
 */
export type HealthModel = Omit<Schemas['HealthModel'], 'deployment'> & {
  deployment?: DeploymentModel;
};

/** A project role; each role includes the permissions of the ones before it. */
export type Role = Schemas['MemberModel']['role'];

/** All roles, from least to most privileged. */
export const ROLES: readonly Role[] = [
  'viewer',
  'runner',
  'editor',
  'deployer',
  'owner'
];

/** Whether `role` (possibly none) grants at least the `needed` role. */
export function roleAtLeast(role: Role | null | undefined, needed: Role): boolean {
  if (role === null || role === undefined) {
    return false;
  }
  const have = ROLES.indexOf(role);
  return have >= 0 && have >= ROLES.indexOf(needed);
}

/** A project, as returned by `GET api/projects/{slug}`. */
export type ProjectModel = Schemas['ProjectModel'];

/** `GET api/projects`. */
export type ProjectList = Schemas['ProjectList'];

/** Body of `POST api/projects`. */
export type ProjectCreate = Schemas['ProjectCreate'];

/** Body of `PATCH api/projects/{slug}`. */
export type ProjectUpdate = Schemas['ProjectUpdate'];

/** `DELETE api/projects/{slug}`. */
export type DeletedProject = Schemas['DeletedProject'];

/** A project member: a JupyterHub user or group. */
export type MemberKind = Schemas['MemberModel']['kind'];

/** A project member and its role. */
export type MemberModel = Schemas['MemberModel'];

/** `GET api/projects/{slug}/members`. */
export type MemberList = Schemas['MemberList'];

/** One audit log entry of a project. */
export type AuditEvent = Schemas['AuditEvent'];

/** `GET api/projects/{slug}/audit`. */
export type AuditList = Schemas['AuditList'];

/** One parameter of a notebook or pipeline. */
export type ParameterModel = Schemas['ParameterModel'];

/** `GET api/projects/{slug}/parameters?path=...`. */
export type ParametersModel = Schemas['ParametersModel'];

/** Body of `POST api/projects/{slug}/runs`. */
export type RunCreate = Schemas['RunCreate'];

/** The status of a run or of one of its steps. */
export type RunStatus = Schemas['RunModel']['status'];

/** One step of a run (a notebook run has one). */
export type StepModel = Schemas['StepModel'];

/** A run of a notebook or pipeline. */
export type RunModel = Schemas['RunModel'];

/** `GET api/projects/{slug}/runs` (newest first). */
export type RunList = Schemas['RunList'];

/** A run's MLflow run in the project's experiment, and its page in the MLflow UI. */
export type MlflowRunModel = Schemas['MlflowRunModel'];

/** One version of a registered model, with its aliases (newest first in its model). */
export type ModelVersionModel = Schemas['ModelVersionModel'];

/** A registered model of a project, with its versions (newest first). */
export type RegisteredModelModel = Schemas['RegisteredModelModel'];

/** `GET api/projects/{slug}/models`. */
export type RegisteredModelList = Schemas['RegisteredModelList'];

/** Body of `POST api/projects/{slug}/models`: register a run's logged model as a version. */
export type ModelRegistration = Schemas['ModelRegistration'];

/** Body of `PUT api/projects/{slug}/models/{name}/aliases/{alias}`. */
export type AliasUpdate = Schemas['AliasUpdate'];

/**
 * A model endpoint of a project (the service's `DeploymentModel`; here
 * {@link DeploymentModel} is the hub's deployment mode): its live versions
 * per colour, traffic split, replicas and recent stats.
 */
export type EndpointModel = Schemas['DeploymentModel'];

/** A version an endpoint serves (or served): its model URI and registry name/version. */
export type DeployedVersion = Schemas['DeployedVersion'];

/** One replica process of an endpoint. */
export type ReplicaModel = Schemas['ReplicaModel'];

/** An endpoint's recent requests: rate, latencies, error rate, in flight. */
export type DeploymentStats = Schemas['DeploymentStats'];

/** `GET api/projects/{slug}/deployments`. */
export type DeploymentList = Schemas['DeploymentList'];

/** Body of `POST api/projects/{slug}/deployments`: a new endpoint. */
export type DeploymentCreate = Schemas['DeploymentCreate'];

/** Body of `PATCH api/projects/{slug}/deployments/{name}`: replica bounds, log rate. */
export type DeploymentUpdate = Schemas['DeploymentUpdate'];

/** Body of `POST api/projects/{slug}/deployments/{name}/versions`: deploy blue-green. */
export type VersionDeploy = Schemas['VersionDeploy'];

/** One entry of an endpoint's history (deploys, switches, rollbacks, scaling, keys). */
export type DeploymentEventModel = Schemas['DeploymentEventModel'];

/** `GET api/projects/{slug}/deployments/{name}/events` (newest first). */
export type DeploymentEventList = Schemas['DeploymentEventList'];

/** Body of `POST api/projects/{slug}/deployments/{name}/keys`. */
export type EndpointKeyCreate = Schemas['EndpointKeyCreate'];

/** An endpoint key (never the key itself). */
export type EndpointKeyModel = Schemas['EndpointKeyModel'];

/** A new endpoint key: the key itself, shown this once. */
export type EndpointKeyCreated = Schemas['EndpointKeyCreated'];

/** `GET api/projects/{slug}/deployments/{name}/keys`. */
export type EndpointKeyList = Schemas['EndpointKeyList'];

/** A monitor of an endpoint: its settings, last check's status, next check, last breach. */
export type MonitorModel = Schemas['MonitorModel'];

/** The score a monitor tracks on posted labels. */
export type MonitorMetric = NonNullable<MonitorModel['metric']>;

/** `GET api/projects/{slug}/monitors`. */
export type MonitorList = Schemas['MonitorList'];

/** Body of `POST api/projects/{slug}/monitors`. */
export type MonitorCreate = Schemas['MonitorCreate'];

/** Body of `PATCH api/projects/{slug}/monitors/{name}`, e.g. `{paused: true}`. */
export type MonitorUpdate = Schemas['MonitorUpdate'];

/** One check of a monitor: its status, summary (rows, drifted columns…) and report. */
export type MonitorCheckModel = Schemas['MonitorCheckModel'];

/** A breach of a monitor and its loop (retrain, register, stage, evaluate, promote or keep). */
export type MonitorBreachModel = Schemas['MonitorBreachModel'];

/** One step of a breach's loop. */
export type MonitorStep = Schemas['MonitorStep'];

/** `GET api/projects/{slug}/monitors/{name}/checks`: the last checks and breaches. */
export type MonitorHistory = Schemas['MonitorHistory'];

/** `GET api/projects/{slug}/runs/{id}/diff?other=...&step=...`. */
export type NotebookDiff = Schemas['NotebookDiff'];

/** Fire times missed while the service was down: skip them, or one catch-up run. */
export type MisfirePolicy = Schemas['ScheduleModel']['misfire'];

/** When the previous run is still going: allow, forbid (record a skip), replace it. */
export type ConcurrencyPolicy = Schemas['ScheduleModel']['concurrency'];

/** When to notify the project members (and the webhook). */
export type NotifyWhen = Schemas['ScheduleModel']['notify'];

/** All misfire policies, in the order the form offers them. */
export const MISFIRE_POLICIES: readonly MisfirePolicy[] = ['run_once', 'skip'];

/** All concurrency policies, in the order the form offers them. */
export const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = [
  'forbid',
  'allow',
  'replace'
];

/** All notification choices, in the order the form offers them. */
export const NOTIFY_WHEN: readonly NotifyWhen[] = ['failure', 'always', 'never'];

/**
 * What a schedule runs and when; every field optional, for edits
 * (`ScheduleSettings` on the server).
 */
export type ScheduleSettings = Schemas['ScheduleUpdate'];

/** Body of `POST api/projects/{slug}/schedules`. */
export type ScheduleCreate = Schemas['ScheduleCreate'];

/** Body of `PATCH api/projects/{slug}/schedules/{id}`: the fields to change. */
export type ScheduleUpdate = Schemas['ScheduleUpdate'];

/** A schedule, as returned by `GET api/projects/{slug}/schedules/{id}`. */
export type ScheduleModel = Schemas['ScheduleModel'];

/** `GET api/projects/{slug}/schedules`. */
export type ScheduleList = Schemas['ScheduleList'];

/** What the scheduler did at a fire time. */
export type ScheduleOutcome = Schemas['ScheduleEvent']['outcome'];

/** One fire time of a schedule. */
export type ScheduleEvent = Schemas['ScheduleEvent'];

/** `GET api/projects/{slug}/schedules/{id}/history` (newest first). */
export type ScheduleHistory = Schemas['ScheduleHistory'];

/** Body of `POST api/projects/{slug}/schedules/preview`. */
export type CronPreviewRequest = Schemas['CronPreviewRequest'];

/** `POST api/projects/{slug}/schedules/preview`. */
export type CronPreview = Schemas['CronPreview'];

/** The level of a notification. */
export type NotificationLevel = Schemas['NotificationModel']['level'];

/** A notification about a scheduled run, for the members of its project. */
export type NotificationModel = Schemas['NotificationModel'];

/** `GET api/notifications` (newest first). */
export type NotificationList = Schemas['NotificationList'];

/** `GET`/`PUT api/me/preferences`. */
export type PreferencesModel = Schemas['PreferencesModel'];

/** The JSON body of any ScaleLab error response. */
export type ErrorModel = Schemas['ErrorModel'];

/** A `fetch`-compatible function. */
export type FetchFunction = (
  url: string,
  init?: RequestInit
) => Promise<Response>;

/** Options for {@link ScaleLabClient}. */
export interface ScaleLabClientOptions {
  /**
   * URL prefix up to and including `scalelab/`,
   * e.g. `/user/alice/scalelab/`.
   */
  baseUrl: string;
  /** The fetch implementation; defaults to the global `fetch`. */
  fetch?: FetchFunction;
}

/** Error thrown for any non-2xx response from the ScaleLab API. */
export class ScaleLabAPIError extends Error {
  readonly status: number;
  readonly requestId?: string;

  constructor(status: number, message: string, requestId?: string) {
    super(message);
    this.name = 'ScaleLabAPIError';
    this.status = status;
    if (requestId !== undefined) {
      this.requestId = requestId;
    }
    // Keep `instanceof` working when compiled to older targets.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

function isErrorModel(value: unknown): value is ErrorModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** `api/projects/{slug}` with the slug encoded. */
function projectPath(slug: string): string {
  return `api/projects/${encodeURIComponent(slug)}`;
}

/** `api/projects/{slug}/members/{kind}/{name}` with the segments encoded. */
function memberPath(slug: string, kind: MemberKind, name: string): string {
  return (
    `${projectPath(slug)}/members/` +
    `${encodeURIComponent(kind)}/${encodeURIComponent(name)}`
  );
}

/** `api/projects/{slug}/runs/{id}` with the segments encoded. */
function runPath(slug: string, id: string): string {
  return `${projectPath(slug)}/runs/${encodeURIComponent(id)}`;
}

/** `api/projects/{slug}/schedules/{id}` with the slug encoded. */
function schedulePath(slug: string, id: number): string {
  return `${projectPath(slug)}/schedules/${encodeURIComponent(String(id))}`;
}

/** `api/projects/{slug}/models/{name}/aliases/{alias}` with the segments encoded. */
function aliasPath(slug: string, name: string, alias: string): string {
  return (
    `${projectPath(slug)}/models/` +
    `${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`
  );
}

/** `api/projects/{slug}/deployments/{name}` with the segments encoded. */
function deploymentPath(slug: string, name: string): string {
  return `${projectPath(slug)}/deployments/${encodeURIComponent(name)}`;
}

/** `api/projects/{slug}/monitors/{name}` with the segments encoded. */
function monitorPath(slug: string, name: string): string {
  return `${projectPath(slug)}/monitors/${encodeURIComponent(name)}`;
}

/** A request with a JSON body. */
function jsonInit(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

/** A small typed client for the ScaleLab REST API. */
export class ScaleLabClient {
  readonly baseUrl: string;
  private readonly _fetch: FetchFunction;

  constructor(options: ScaleLabClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/')
      ? options.baseUrl
      : `${options.baseUrl}/`;
    this._fetch =
      options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** The signed-in user. */
  me(): Promise<UserModel> {
    return this.request<UserModel>('api/me');
  }

  /** The service health. */
  health(): Promise<HealthModel> {
    return this.request<HealthModel>('api/health');
  }

  /** The projects visible to the caller. */
  listProjects(): Promise<ProjectList> {
    return this.request<ProjectList>('api/projects');
  }

  /** Create a project; the caller becomes its owner. */
  createProject(body: ProjectCreate): Promise<ProjectModel> {
    return this.request<ProjectModel>('api/projects', jsonInit('POST', body));
  }

  /** One project. */
  getProject(slug: string): Promise<ProjectModel> {
    return this.request<ProjectModel>(projectPath(slug));
  }

  /** Change a project's title. */
  updateProject(slug: string, body: ProjectUpdate): Promise<ProjectModel> {
    return this.request<ProjectModel>(
      projectPath(slug),
      jsonInit('PATCH', body)
    );
  }

  /** Archive a project. */
  archiveProject(slug: string): Promise<ProjectModel> {
    return this.request<ProjectModel>(
      `${projectPath(slug)}/archive`,
      jsonInit('POST', {})
    );
  }

  /** Restore an archived project. */
  restoreProject(slug: string): Promise<ProjectModel> {
    return this.request<ProjectModel>(
      `${projectPath(slug)}/restore`,
      jsonInit('POST', {})
    );
  }

  /** Delete a project (its workspace is archived first). */
  deleteProject(slug: string): Promise<DeletedProject> {
    return this.request<DeletedProject>(
      `${projectPath(slug)}?confirm=${encodeURIComponent(slug)}`,
      { method: 'DELETE' }
    );
  }

  /** The members of a project. */
  listMembers(slug: string): Promise<MemberList> {
    return this.request<MemberList>(`${projectPath(slug)}/members`);
  }

  /** Add a member to a project or change its role. */
  setMember(
    slug: string,
    kind: MemberKind,
    name: string,
    role: Role
  ): Promise<MemberModel> {
    return this.request<MemberModel>(
      memberPath(slug, kind, name),
      jsonInit('PUT', { role })
    );
  }

  /** Remove a member from a project. */
  async removeMember(
    slug: string,
    kind: MemberKind,
    name: string
  ): Promise<void> {
    await this.request<unknown>(memberPath(slug, kind, name), {
      method: 'DELETE'
    });
  }

  /** The audit log of a project. */
  listAudit(slug: string): Promise<AuditList> {
    return this.request<AuditList>(`${projectPath(slug)}/audit`);
  }

  /** The parameters (and a pipeline's steps) of a notebook or pipeline.yaml. */
  getParameters(slug: string, path: string): Promise<ParametersModel> {
    return this.request<ParametersModel>(
      `${projectPath(slug)}/parameters?path=${encodeURIComponent(path)}`
    );
  }

  /** The runs of a project, newest first. */
  listRuns(slug: string): Promise<RunList> {
    return this.request<RunList>(`${projectPath(slug)}/runs`);
  }

  /** Start a run of a notebook or pipeline. */
  startRun(slug: string, body: RunCreate): Promise<RunModel> {
    return this.request<RunModel>(
      `${projectPath(slug)}/runs`,
      jsonInit('POST', body)
    );
  }

  /** One run. */
  getRun(slug: string, id: string): Promise<RunModel> {
    return this.request<RunModel>(runPath(slug, id));
  }

  /** Cancel a queued or running run. */
  cancelRun(slug: string, id: string): Promise<RunModel> {
    return this.request<RunModel>(
      `${runPath(slug, id)}/cancel`,
      jsonInit('POST', {})
    );
  }

  /** nbdime's diff of one step's output notebook between two runs. */
  diffRuns(
    slug: string,
    id: string,
    otherId: string,
    step: string
  ): Promise<NotebookDiff> {
    return this.request<NotebookDiff>(
      `${runPath(slug, id)}/diff?other=${encodeURIComponent(otherId)}` +
        `&step=${encodeURIComponent(step)}`
    );
  }

  /** The schedules of a project. */
  listSchedules(slug: string): Promise<ScheduleList> {
    return this.request<ScheduleList>(`${projectPath(slug)}/schedules`);
  }

  /** Create a schedule (editor or more). */
  createSchedule(slug: string, body: ScheduleCreate): Promise<ScheduleModel> {
    return this.request<ScheduleModel>(
      `${projectPath(slug)}/schedules`,
      jsonInit('POST', body)
    );
  }

  /** One schedule, with its next five fire times. */
  getSchedule(slug: string, id: number): Promise<ScheduleModel> {
    return this.request<ScheduleModel>(schedulePath(slug, id));
  }

  /** Change some fields of a schedule, e.g. `{paused: true}`. */
  updateSchedule(
    slug: string,
    id: number,
    body: ScheduleUpdate
  ): Promise<ScheduleModel> {
    return this.request<ScheduleModel>(
      schedulePath(slug, id),
      jsonInit('PATCH', body)
    );
  }

  /** Delete a schedule; its runs stay. */
  async deleteSchedule(slug: string, id: number): Promise<void> {
    await this.request<unknown>(schedulePath(slug, id), { method: 'DELETE' });
  }

  /** What happened at each fire time of a schedule, newest first. */
  scheduleHistory(slug: string, id: number): Promise<ScheduleHistory> {
    return this.request<ScheduleHistory>(`${schedulePath(slug, id)}/history`);
  }

  /** Check a cron expression and timezone; the next five fire times. */
  previewCron(slug: string, body: CronPreviewRequest): Promise<CronPreview> {
    return this.request<CronPreview>(
      `${projectPath(slug)}/schedules/preview`,
      jsonInit('POST', body)
    );
  }

  /** The registered models of a project, each with its versions (newest first). */
  listModels(slug: string): Promise<RegisteredModelList> {
    return this.request<RegisteredModelList>(`${projectPath(slug)}/models`);
  }

  /** Register the model a run logged as a new version (deployer or more). */
  registerModel(slug: string, body: ModelRegistration): Promise<RegisteredModelModel> {
    return this.request<RegisteredModelModel>(
      `${projectPath(slug)}/models`,
      jsonInit('POST', body)
    );
  }

  /** Point `alias` of model `name` at `version` (moved if set elsewhere; deployer or more). */
  setModelAlias(
    slug: string,
    name: string,
    alias: string,
    version: string
  ): Promise<RegisteredModelModel> {
    const body: AliasUpdate = { version };
    return this.request<RegisteredModelModel>(
      aliasPath(slug, name, alias),
      jsonInit('PUT', body)
    );
  }

  /** Remove `alias` of model `name` (deployer or more). */
  removeModelAlias(slug: string, name: string, alias: string): Promise<RegisteredModelModel> {
    return this.request<RegisteredModelModel>(aliasPath(slug, name, alias), {
      method: 'DELETE'
    });
  }

  /** The endpoints of a project, with their replicas and stats. */
  listDeployments(slug: string): Promise<DeploymentList> {
    return this.request<DeploymentList>(`${projectPath(slug)}/deployments`);
  }

  /** One endpoint. */
  getDeployment(slug: string, name: string): Promise<EndpointModel> {
    return this.request<EndpointModel>(deploymentPath(slug, name));
  }

  /** Create an endpoint serving a registered model; it starts in the background (deployer). */
  createDeployment(slug: string, body: DeploymentCreate): Promise<EndpointModel> {
    return this.request<EndpointModel>(
      `${projectPath(slug)}/deployments`,
      jsonInit('POST', body)
    );
  }

  /** Change an endpoint's replica bounds or request log rate (deployer). */
  updateDeployment(slug: string, name: string, body: DeploymentUpdate): Promise<EndpointModel> {
    return this.request<EndpointModel>(deploymentPath(slug, name), jsonInit('PATCH', body));
  }

  /** Stop an endpoint (after its requests in flight) and remove it (deployer). */
  async deleteDeployment(slug: string, name: string): Promise<void> {
    await this.request<unknown>(deploymentPath(slug, name), { method: 'DELETE' });
  }

  /** Deploy another version blue-green, with `canary` percent of traffic first (deployer). */
  deployVersion(slug: string, name: string, body: VersionDeploy): Promise<EndpointModel> {
    return this.request<EndpointModel>(
      `${deploymentPath(slug, name)}/versions`,
      jsonInit('POST', body)
    );
  }

  /** Send all traffic to the new version now, ending its bake (deployer). */
  promoteDeployment(slug: string, name: string): Promise<EndpointModel> {
    return this.request<EndpointModel>(
      `${deploymentPath(slug, name)}/promote`,
      jsonInit('POST', {})
    );
  }

  /** Back to the version before; a new version under way is dropped (deployer). */
  rollbackDeployment(slug: string, name: string): Promise<EndpointModel> {
    return this.request<EndpointModel>(
      `${deploymentPath(slug, name)}/rollback`,
      jsonInit('POST', {})
    );
  }

  /** An endpoint's history, newest first; at most `limit` entries. */
  deploymentEvents(slug: string, name: string, limit?: number): Promise<DeploymentEventList> {
    const query = limit === undefined ? '' : `?limit=${encodeURIComponent(String(limit))}`;
    return this.request<DeploymentEventList>(`${deploymentPath(slug, name)}/events${query}`);
  }

  /** An endpoint's keys, never the keys themselves (deployer). */
  listEndpointKeys(slug: string, name: string): Promise<EndpointKeyList> {
    return this.request<EndpointKeyList>(`${deploymentPath(slug, name)}/keys`);
  }

  /** A new key for calling this endpoint only, shown once (deployer). */
  createEndpointKey(
    slug: string,
    name: string,
    body: EndpointKeyCreate
  ): Promise<EndpointKeyCreated> {
    return this.request<EndpointKeyCreated>(
      `${deploymentPath(slug, name)}/keys`,
      jsonInit('POST', body)
    );
  }

  /** Revoke a key of an endpoint (deployer). */
  revokeEndpointKey(slug: string, name: string, keyId: number): Promise<EndpointKeyModel> {
    return this.request<EndpointKeyModel>(
      `${deploymentPath(slug, name)}/keys/${encodeURIComponent(String(keyId))}`,
      { method: 'DELETE' }
    );
  }

  /** The monitors of a project, with their status and last breach. */
  listMonitors(slug: string): Promise<MonitorList> {
    return this.request<MonitorList>(`${projectPath(slug)}/monitors`);
  }

  /** One monitor. */
  getMonitor(slug: string, name: string): Promise<MonitorModel> {
    return this.request<MonitorModel>(monitorPath(slug, name));
  }

  /** Watch an endpoint (deployer). */
  createMonitor(slug: string, body: MonitorCreate): Promise<MonitorModel> {
    return this.request<MonitorModel>(`${projectPath(slug)}/monitors`, jsonInit('POST', body));
  }

  /** Change a monitor, e.g. `{paused: true}` (deployer). */
  updateMonitor(slug: string, name: string, body: MonitorUpdate): Promise<MonitorModel> {
    return this.request<MonitorModel>(monitorPath(slug, name), jsonInit('PATCH', body));
  }

  /** Delete a monitor with its history (deployer). */
  async deleteMonitor(slug: string, name: string): Promise<void> {
    await this.request<unknown>(monitorPath(slug, name), { method: 'DELETE' });
  }

  /** Check now, whatever the cron says; the check shows in the history (deployer). */
  checkMonitor(slug: string, name: string): Promise<MonitorModel> {
    return this.request<MonitorModel>(`${monitorPath(slug, name)}/check`, jsonInit('POST', {}));
  }

  /** A monitor's last checks and breaches, each breach with every step of its loop. */
  monitorChecks(slug: string, name: string): Promise<MonitorHistory> {
    return this.request<MonitorHistory>(`${monitorPath(slug, name)}/checks`);
  }

  /** Notifications of my projects, newest first; only newer than `after`. */
  listNotifications(after?: number | null): Promise<NotificationList> {
    const query =
      after === undefined || after === null
        ? ''
        : `?after=${encodeURIComponent(String(after))}`;
    return this.request<NotificationList>(`api/notifications${query}`);
  }

  /** The caller's preferences. */
  getPreferences(): Promise<PreferencesModel> {
    return this.request<PreferencesModel>('api/me/preferences');
  }

  /** Replace the caller's preferences. */
  setPreferences(
    preferences: Record<string, unknown>
  ): Promise<PreferencesModel> {
    return this.request<PreferencesModel>(
      'api/me/preferences',
      jsonInit('PUT', { preferences })
    );
  }

  /**
   * Send a request to `baseUrl + path` and parse the JSON response.
   * A 204 or an empty body resolves to `undefined`.
   *
   * Throws {@link ScaleLabAPIError} for non-2xx responses.
   */
  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const url = this.baseUrl + path.replace(/^\/+/, '');
    const headers = new Headers(init?.headers);
    if (!headers.has('Accept')) {
      headers.set('Accept', 'application/json');
    }
    if (init?.body !== undefined && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    const response = await this._fetch(url, { ...init, headers });
    if (!response.ok) {
      throw await ScaleLabClient._toError(response);
    }
    if (response.status === 204 || response.status === 205) {
      return undefined as T;
    }
    const text = await response.text();
    if (text.trim() === '') {
      return undefined as T;
    }
    return JSON.parse(text) as T;
  }

  private static async _toError(response: Response): Promise<ScaleLabAPIError> {
    const fallback = response.statusText || `HTTP ${response.status}`;
    let text = '';
    try {
      text = await response.text();
    } catch {
      // Unreadable body: use the status text.
    }
    try {
      const body: unknown = JSON.parse(text);
      if (isErrorModel(body)) {
        return new ScaleLabAPIError(
          typeof body.status === 'number' ? body.status : response.status,
          body.message,
          typeof body.request_id === 'string' ? body.request_id : undefined
        );
      }
    } catch {
      // Not JSON: use the status text.
    }
    return new ScaleLabAPIError(response.status, fallback);
  }
}
