/**
 * Typed client for the ScaleLab REST API.
 *
 * This module deliberately has no JupyterLab imports so it can be unit-tested
 * in plain Node with a fake `fetch`.
 */

/** The signed-in user, as returned by `GET api/me`. */
export interface UserModel {
  name: string;
  admin: boolean;
  kind: 'user' | 'service';
  groups: string[];
}

/** The hub's deployment mode, and whether the OS holds kernels to roles. */
export interface DeploymentModel {
  mode: string;
  roles_hold_for_kernels: boolean;
}

/** Service health, as returned by `GET api/health`. */
export interface HealthModel {
  status: 'ok' | 'degraded';
  version: string;
  database: {
    ok: boolean;
    backend: string;
    error?: string | null;
  };
  /** Missing from services older than this extension. */
  deployment?: DeploymentModel;
}

/** A project role; each role includes the permissions of the ones before it. */
export type Role = 'viewer' | 'runner' | 'editor' | 'deployer' | 'owner';

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
export interface ProjectModel {
  slug: string;
  title: string;
  archived: boolean;
  created_at: string;
  created_by: string;
  /** The caller's role, or `null` (e.g. a hub admin who is not a member). */
  my_role: Role | null;
  /** Folder of the project in the file browser, e.g. `projects/churn`. */
  workspace: string;
}

/** `GET api/projects`. */
export interface ProjectList {
  projects: ProjectModel[];
}

/** Body of `POST api/projects`. */
export interface ProjectCreate {
  slug: string;
  title?: string | null;
  template?: 'empty' | 'example';
}

/** Body of `PATCH api/projects/{slug}`. */
export interface ProjectUpdate {
  title: string;
}

/** `DELETE api/projects/{slug}`. */
export interface DeletedProject {
  slug: string;
  /** Where the workspace was archived before deletion. */
  archive: string;
}

/** A project member: a JupyterHub user or group. */
export type MemberKind = 'user' | 'group';

/** A project member and its role. */
export interface MemberModel {
  kind: MemberKind;
  name: string;
  role: Role;
}

/** `GET api/projects/{slug}/members`. */
export interface MemberList {
  members: MemberModel[];
}

/** One audit log entry of a project. */
export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  project: string;
  action: string;
  details: Record<string, unknown>;
}

/** `GET api/projects/{slug}/audit`. */
export interface AuditList {
  events: AuditEvent[];
}

/** One parameter of a notebook or pipeline. */
export interface ParameterModel {
  name: string;
  /** `int`, `float`, `str`, `bool`, `list`, `dict`, or `None` for any. */
  type: string;
  /** The default, as a Python literal as written (e.g. `'a'`, `0.5`, `True`). */
  default: string;
  help: string;
}

/** `GET api/projects/{slug}/parameters?path=...`. */
export interface ParametersModel {
  path: string;
  kind: 'notebook' | 'pipeline';
  parameters: ParameterModel[];
  /** A pipeline's steps, in order. */
  steps: string[];
}

/** Body of `POST api/projects/{slug}/runs`. */
export interface RunCreate {
  /** Notebook or pipeline.yaml, relative to the project workspace. */
  target: string;
  parameters?: Record<string, unknown>;
  /** Run every step, reusing nothing. */
  fresh?: boolean;
  /** Seconds per step. */
  timeout?: number | null;
  retries?: number;
}

/** The status of a run or of one of its steps. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'skipped';

/** One step of a run (a notebook run has one). */
export interface StepModel {
  name: string;
  notebook: string;
  status: RunStatus;
  parameters: Record<string, unknown>;
  kernel: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  error: string | null;
  failed_cell: number | null;
  /** The run whose outputs were reused instead of running the step. */
  reused_from: string | null;
  /**
   * The output notebook as a lab path, e.g. `runs/<slug>/<run id>/<step>.ipynb`
   * (read-only; open it with the document manager).
   */
  output: string | null;
  lineage: Record<string, unknown> | null;
}

/** A run of a notebook or pipeline. */
export interface RunModel {
  id: string;
  project: string;
  kind: 'notebook' | 'pipeline';
  target: string;
  status: RunStatus;
  trigger: string;
  triggered_by: string;
  parameters: Record<string, unknown>;
  executor: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** While queued for an executor slot: its place, 1 being next (absent from older services). */
  queue_position?: number | null;
  environment: Record<string, unknown>;
  steps: StepModel[];
}

/** `GET api/projects/{slug}/runs` (newest first). */
export interface RunList {
  runs: RunModel[];
}

/** `GET api/projects/{slug}/runs/{id}/diff?other=...&step=...`. */
export interface NotebookDiff {
  /** Run id of the older run. */
  base: string;
  /** Run id of the newer run. */
  remote: string;
  step: string;
  base_notebook: Record<string, unknown>;
  /** nbdime's diff of the two output notebooks. */
  diff: unknown[];
}

/** Fire times missed while the service was down: skip them, or one catch-up run. */
export type MisfirePolicy = 'skip' | 'run_once';

/** When the previous run is still going: allow, forbid (record a skip), replace it. */
export type ConcurrencyPolicy = 'allow' | 'forbid' | 'replace';

/** When to notify the project members (and the webhook). */
export type NotifyWhen = 'failure' | 'always' | 'never';

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
export interface ScheduleSettings {
  name?: string | null;
  /** Notebook or pipeline.yaml, relative to the workspace. */
  target?: string | null;
  parameters?: Record<string, unknown> | null;
  /** Five fields: minute hour day-of-month month day-of-week. */
  cron?: string | null;
  /** IANA name, e.g. `Europe/Paris`. */
  timezone?: string | null;
  /** Seconds per step (> 0). */
  timeout?: number | null;
  /** 0 to 5. */
  retries?: number | null;
  /** Run every step, reusing nothing. */
  fresh?: boolean | null;
  misfire?: MisfirePolicy | null;
  /** Seconds (60 to 7 days); older misses are not caught up. */
  misfire_deadline?: number | null;
  concurrency?: ConcurrencyPolicy | null;
  notify?: NotifyWhen | null;
  /** Slack-compatible incoming webhook; an empty string removes it. */
  webhook_url?: string | null;
  paused?: boolean | null;
}

/** Body of `POST api/projects/{slug}/schedules`. */
export interface ScheduleCreate extends ScheduleSettings {
  name: string;
  target: string;
  cron: string;
  /** Defaults to `UTC`. */
  timezone?: string;
  parameters?: Record<string, unknown>;
  retries?: number;
  fresh?: boolean;
  misfire?: MisfirePolicy;
  misfire_deadline?: number;
  concurrency?: ConcurrencyPolicy;
  notify?: NotifyWhen;
  paused?: boolean;
}

/** Body of `PATCH api/projects/{slug}/schedules/{id}`: the fields to change. */
export type ScheduleUpdate = ScheduleSettings;

/** A schedule, as returned by `GET api/projects/{slug}/schedules/{id}`. */
export interface ScheduleModel {
  id: number;
  project: string;
  name: string;
  target: string;
  parameters: Record<string, unknown>;
  cron: string;
  timezone: string;
  timeout: number | null;
  retries: number;
  fresh: boolean;
  misfire: MisfirePolicy;
  misfire_deadline: number;
  concurrency: ConcurrencyPolicy;
  notify: NotifyWhen;
  /** Where the webhook goes (scheme and host only), or `null`. */
  webhook: string | null;
  /** The webhook URL: whole for editors and above, credentials redacted for others. */
  webhook_url?: string | null;
  paused: boolean;
  /** `null` while paused. */
  next_fire_at: string | null;
  /** The next five, whether paused or not. */
  next_fire_times: string[];
  last_fire_at: string | null;
  last_run_id: string | null;
  last_status: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** `GET api/projects/{slug}/schedules`. */
export interface ScheduleList {
  schedules: ScheduleModel[];
}

/** What the scheduler did at a fire time. */
export type ScheduleOutcome = 'starting' | 'queued' | 'missed' | 'skipped' | 'failed';

/** One fire time of a schedule. */
export interface ScheduleEvent {
  /** The fire time. */
  due_at: string;
  /** When the scheduler handled it. */
  at: string;
  outcome: ScheduleOutcome;
  run_id: string | null;
  run_status: string | null;
  detail: string;
}

/** `GET api/projects/{slug}/schedules/{id}/history` (newest first). */
export interface ScheduleHistory {
  schedule: number;
  events: ScheduleEvent[];
}

/** Body of `POST api/projects/{slug}/schedules/preview`. */
export interface CronPreviewRequest {
  cron: string;
  /** Defaults to `UTC`. */
  timezone?: string;
}

/** `POST api/projects/{slug}/schedules/preview`. */
export interface CronPreview {
  cron: string;
  timezone: string;
  next_fire_times: string[];
  /** Seconds between the closest two fire times. */
  shortest_interval: number;
}

/** The level of a notification. */
export type NotificationLevel = 'error' | 'warning' | 'success' | 'info';

/** A notification about a scheduled run, for the members of its project. */
export interface NotificationModel {
  id: number;
  project: string;
  at: string;
  level: NotificationLevel;
  title: string;
  message: string;
  /**
   * Absolute hub URLs: `output` (the output notebook) and `diff` (against
   * the last successful run), when there are.
   */
  links: { output?: string; diff?: string; [name: string]: string | undefined };
  run_id: string | null;
  schedule_id: number | null;
  /** Webhook delivery: `''` (none), `pending`, `delivered` or `failed`. */
  webhook: '' | 'pending' | 'delivered' | 'failed';
  /** Attempts, status codes and errors: for editors and above, else `null`. */
  webhook_detail?: string | null;
}

/** `GET api/notifications` (newest first). */
export interface NotificationList {
  notifications: NotificationModel[];
}

/** `GET`/`PUT api/me/preferences`. */
export interface PreferencesModel {
  preferences: Record<string, unknown>;
}

/** The JSON body of any ScaleLab error response. */
export interface ErrorModel {
  status: number;
  message: string;
  request_id?: string;
}

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
