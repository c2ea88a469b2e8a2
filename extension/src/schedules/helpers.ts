/**
 * Pure helpers for schedules: defaults, the schedule form's fields, the
 * debounced cron preview, formatting fire times in a timezone.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  CONCURRENCY_POLICIES,
  type ConcurrencyPolicy,
  type CronPreview,
  MISFIRE_POLICIES,
  type MisfirePolicy,
  NOTIFY_WHEN,
  type NotifyWhen,
  type ProjectModel,
  roleAtLeast,
  ScaleLabAPIError,
  type ScheduleCreate,
  type ScheduleModel,
  type ScheduleUpdate,
  type UserModel
} from '../common/api';
import { errorMessage } from '../common/helpers';
import { jsonEqual } from '../runs/helpers';

/** What the schedule dialog creates or edits. */
export interface ScheduleRequest {
  slug: string;
  /** The notebook or pipeline (for an edit: the schedule's target). */
  target: string;
  /** Parameter values to start with, e.g. those of a finished run. */
  values?: Record<string, unknown>;
  /** The schedule to edit; missing: create one. */
  schedule?: ScheduleModel | null;
}

/** Shows the schedule dialog; resolves to the saved schedule or `null`. */
export type OpenScheduleDialog = (request: ScheduleRequest) => Promise<ScheduleModel | null>;

/** The cron expression a new schedule starts with: every day at 06:00. */
export const DEFAULT_CRON = '0 6 * * *';

/** How long the form waits after the last keystroke before a preview (ms). */
export const PREVIEW_DELAY = 300;

/** The timezone of the browser (IANA name), or `UTC` when unknown. */
export function browserTimezone(): string {
  try {
    const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    return typeof zone === 'string' && zone ? zone : 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The IANA timezones the browser knows (for suggestions); may be empty. */
export function knownTimezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/** `sub/train.ipynb` -> `train`; `pipeline.yaml` -> `pipeline`. */
export function fileStem(path: string): string {
  const name = path.split('/').filter(Boolean).pop() ?? path;
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? name.slice(0, dot) : name) || name;
}

/**
 * Whether the caller may create, edit, pause and delete schedules:
 * editor or more, or a hub admin (whose `my_role` may be `null`).
 */
export function canEditSchedules(
  project: Pick<ProjectModel, 'my_role'> | null | undefined,
  user: Pick<UserModel, 'admin'> | null | undefined
): boolean {
  if (!project) {
    return false;
  }
  return user?.admin === true || roleAtLeast(project.my_role, 'editor');
}

function validTimezone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A fire time in `timeZone`: `Wed 2024-05-01 06:00 GMT+2`.
 *
 * Falls back to UTC for a timezone the browser does not know, and to the
 * text as given when it is not a date.
 */
export function formatFireTime(at: string, timeZone: string): string {
  const time = Date.parse(at);
  if (Number.isNaN(time)) {
    return at;
  }
  const zone = timeZone && validTimezone(timeZone) ? timeZone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short'
  }).formatToParts(new Date(time));
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find(p => p.type === type)?.value ?? '';
  return (
    `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ` +
    `${part('hour')}:${part('minute')} ${part('timeZoneName')}`
  ).trim();
}

/** `0 6 * * * (Europe/Paris)`. */
export function formatCron(schedule: Pick<ScheduleModel, 'cron' | 'timezone'>): string {
  return `${schedule.cron} (${schedule.timezone})`;
}

/** The next fire time in the schedule's timezone, or `paused`. */
export function formatNextFire(
  schedule: Pick<ScheduleModel, 'next_fire_at' | 'paused' | 'timezone'>
): string {
  if (schedule.paused || !schedule.next_fire_at) {
    return 'paused';
  }
  return formatFireTime(schedule.next_fire_at, schedule.timezone);
}

/** By name, then by id (returns a copy). */
export function sortSchedules<T extends Pick<ScheduleModel, 'name' | 'id'>>(
  schedules: readonly T[]
): T[] {
  return [...schedules].sort(
    (a, b) =>
      a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id - b.id
  );
}

/** The CSS modifier of a schedule event's outcome badge. */
export function outcomeClass(outcome: string): string {
  switch (outcome) {
    case 'queued':
    case 'starting':
      return 'jp-mod-queued';
    case 'failed':
      return 'jp-mod-failed';
    case 'missed':
      return 'jp-mod-cancelled';
    case 'skipped':
      return 'jp-mod-skipped';
    default:
      return 'jp-mod-unknown';
  }
}

// The schedule form.

/** The raw text of the schedule form's fields (besides the parameters). */
export interface ScheduleFormRaw {
  name: string;
  cron: string;
  timezone: string;
  /** Seconds per step; empty for none. */
  timeout: string;
  retries: string;
  misfire: string;
  misfire_deadline: string;
  concurrency: string;
  notify: string;
  /** Empty: none (when creating) or unchanged (when editing). */
  webhook_url: string;
  /** Editing only: remove the current webhook. */
  remove_webhook: boolean;
  fresh: boolean;
}

/** The typed values of the schedule form. */
export interface ScheduleFormValue {
  name: string;
  cron: string;
  timezone: string;
  timeout: number | null;
  retries: number;
  misfire: MisfirePolicy;
  misfire_deadline: number;
  concurrency: ConcurrencyPolicy;
  notify: NotifyWhen;
  /** `''` when empty. */
  webhook_url: string;
  remove_webhook: boolean;
  fresh: boolean;
}

/** Fields of the schedule form that can be wrong. */
export type ScheduleField =
  | 'name'
  | 'cron'
  | 'timezone'
  | 'timeout'
  | 'retries'
  | 'misfire'
  | 'misfire_deadline'
  | 'concurrency'
  | 'notify'
  | 'webhook_url';

/** The first error of each wrong field. */
export type ScheduleFormErrors = Partial<Record<ScheduleField, string>>;

/** Same rule as the server's `WEBHOOK_URL`. */
const WEBHOOK_URL = /^(https?:\/\/[^\s/]+(\/\S*)?)?$/;

/** Limits of `misfire_deadline` (seconds), as on the server. */
export const MISFIRE_DEADLINE_MIN = 60;
export const MISFIRE_DEADLINE_MAX = 7 * 86400;

/** Limit of `retries`, as on the server. */
export const RETRIES_MAX = 5;

/** The form's first values for a new schedule of `target`. */
export function newScheduleRaw(target: string, timezone = browserTimezone()): ScheduleFormRaw {
  return {
    name: fileStem(target).slice(0, 100),
    cron: DEFAULT_CRON,
    timezone,
    timeout: '',
    retries: '0',
    misfire: 'run_once',
    misfire_deadline: '3600',
    concurrency: 'forbid',
    notify: 'failure',
    webhook_url: '',
    remove_webhook: false,
    fresh: true
  };
}

/** The form's first values for editing `schedule`. */
export function scheduleRaw(schedule: ScheduleModel): ScheduleFormRaw {
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    timeout: schedule.timeout === null ? '' : String(schedule.timeout),
    retries: String(schedule.retries),
    misfire: schedule.misfire,
    misfire_deadline: String(schedule.misfire_deadline),
    concurrency: schedule.concurrency,
    notify: schedule.notify,
    webhook_url: '',
    remove_webhook: false,
    fresh: schedule.fresh === true
  };
}

function oneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

function integer(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/**
 * Check and type the schedule form's fields.
 *
 * `value` is `null` when any field is wrong; `errors` has a message for
 * each wrong field.
 */
export function readScheduleForm(raw: ScheduleFormRaw): {
  value: ScheduleFormValue | null;
  errors: ScheduleFormErrors;
} {
  const errors: ScheduleFormErrors = {};
  const name = raw.name.trim();
  if (!name) {
    errors.name = 'Enter a name.';
  } else if (name.length > 100) {
    errors.name = 'The name is longer than 100 characters.';
  }
  const cron = raw.cron.trim().replace(/\s+/g, ' ');
  if (!cron) {
    errors.cron = 'Enter a cron expression, e.g. 0 6 * * *.';
  }
  const timezone = raw.timezone.trim();
  if (!timezone) {
    errors.timezone = 'Enter a timezone, e.g. Europe/Paris.';
  }
  let timeout: number | null = null;
  if (raw.timeout.trim() !== '') {
    timeout = Number(raw.timeout.trim());
    if (!Number.isFinite(timeout) || timeout <= 0) {
      errors.timeout = 'The timeout is a number of seconds above 0, or empty for none.';
    }
  }
  const retries = integer(raw.retries);
  if (retries === null || retries > RETRIES_MAX) {
    errors.retries = `Retries: a whole number from 0 to ${RETRIES_MAX}.`;
  }
  if (!oneOf(MISFIRE_POLICIES, raw.misfire)) {
    errors.misfire = `Misfire policy: one of ${MISFIRE_POLICIES.join(', ')}.`;
  }
  const deadline = integer(raw.misfire_deadline);
  if (deadline === null || deadline < MISFIRE_DEADLINE_MIN || deadline > MISFIRE_DEADLINE_MAX) {
    errors.misfire_deadline =
      `Misfire deadline: a whole number of seconds from ${MISFIRE_DEADLINE_MIN} ` +
      `to ${MISFIRE_DEADLINE_MAX}.`;
  }
  if (!oneOf(CONCURRENCY_POLICIES, raw.concurrency)) {
    errors.concurrency = `Concurrency: one of ${CONCURRENCY_POLICIES.join(', ')}.`;
  }
  if (!oneOf(NOTIFY_WHEN, raw.notify)) {
    errors.notify = `Notify: one of ${NOTIFY_WHEN.join(', ')}.`;
  }
  const webhook = raw.webhook_url.trim();
  if (webhook.length > 2048 || !WEBHOOK_URL.test(webhook)) {
    errors.webhook_url = 'The webhook is an http(s):// URL, or empty for none.';
  }
  if (Object.keys(errors).length > 0) {
    return { value: null, errors };
  }
  return {
    value: {
      name,
      cron,
      timezone,
      timeout,
      retries: retries ?? 0,
      misfire: raw.misfire as MisfirePolicy,
      misfire_deadline: deadline ?? 3600,
      concurrency: raw.concurrency as ConcurrencyPolicy,
      notify: raw.notify as NotifyWhen,
      webhook_url: webhook,
      remove_webhook: raw.remove_webhook,
      fresh: raw.fresh
    },
    errors
  };
}

/** The body that creates a schedule of `target` from the form's value. */
export function scheduleCreateBody(
  target: string,
  value: ScheduleFormValue,
  parameters: Record<string, unknown>
): ScheduleCreate {
  const body: ScheduleCreate = {
    name: value.name,
    target,
    cron: value.cron,
    timezone: value.timezone,
    parameters,
    retries: value.retries,
    fresh: value.fresh,
    misfire: value.misfire,
    misfire_deadline: value.misfire_deadline,
    concurrency: value.concurrency,
    notify: value.notify
  };
  if (value.timeout !== null) {
    body.timeout = value.timeout;
  }
  if (value.webhook_url) {
    body.webhook_url = value.webhook_url;
  }
  return body;
}

/**
 * The fields of `schedule` that the form's value changes (a PATCH body);
 * empty when nothing changed. `parameters` is `null` when they were not
 * editable (they stay as they are).
 */
export function scheduleUpdateBody(
  schedule: ScheduleModel,
  value: ScheduleFormValue,
  parameters: Record<string, unknown> | null
): ScheduleUpdate {
  const body: ScheduleUpdate = {};
  const same = <K extends keyof ScheduleFormValue & keyof ScheduleModel>(key: K): boolean =>
    (value[key] as unknown) === (schedule[key] as unknown);
  for (const key of [
    'name',
    'cron',
    'timezone',
    'timeout',
    'retries',
    'fresh',
    'misfire',
    'misfire_deadline',
    'concurrency',
    'notify'
  ] as const) {
    if (!same(key)) {
      (body as Record<string, unknown>)[key] = value[key];
    }
  }
  if (parameters !== null && !jsonEqual(parameters, schedule.parameters)) {
    body.parameters = parameters;
  }
  if (value.remove_webhook && schedule.webhook) {
    body.webhook_url = '';
  } else if (value.webhook_url) {
    body.webhook_url = value.webhook_url;
  }
  return body;
}

// The cron preview.

/** Where the preview of the form's cron expression and timezone stands. */
export interface CronPreviewState {
  /**
   * `pending`: waiting for the user to stop typing or for the server;
   * `valid`: `preview` matches the current input; `invalid`: see `error`.
   */
  status: 'pending' | 'valid' | 'invalid';
  cron: string;
  timezone: string;
  preview: CronPreview | null;
  error: string | null;
}

/** Options for {@link CronPreviewer}. */
export interface CronPreviewerOptions {
  /** Ask the server (`POST .../schedules/preview`). */
  request: (cron: string, timezone: string) => Promise<CronPreview>;
  /** Called whenever the state changes. */
  onChange?: (state: CronPreviewState) => void;
  /** Milliseconds of quiet before asking; default {@link PREVIEW_DELAY}. */
  delay?: number;
}

/**
 * Previews a cron expression and timezone while they are typed: waits
 * {@link PREVIEW_DELAY} ms after the last change, then asks the server;
 * answers to older input are dropped.
 *
 * The form may only be saved while {@link canSave} (a preview of exactly
 * the current input succeeded).
 */
export class CronPreviewer {
  constructor(options: CronPreviewerOptions) {
    this._options = options;
  }

  /** The current state. */
  get state(): CronPreviewState {
    return this._state;
  }

  /** Whether the current input was checked by the server and is fine. */
  get canSave(): boolean {
    return this._state.status === 'valid';
  }

  /** The input changed: preview it after the delay (unless unchanged). */
  update(cron: string, timezone: string): void {
    if (this._disposed) {
      return;
    }
    const c = cron.trim().replace(/\s+/g, ' ');
    const tz = timezone.trim();
    if (this._started && c === this._state.cron && tz === this._state.timezone) {
      return;
    }
    this._started = true;
    this._cancel();
    const seq = ++this._seq;
    if (!c || !tz) {
      this._set({
        status: 'invalid',
        cron: c,
        timezone: tz,
        preview: null,
        error: !c ? 'Enter a cron expression, e.g. 0 6 * * *.' : 'Enter a timezone, e.g. UTC.'
      });
      return;
    }
    this._set({ status: 'pending', cron: c, timezone: tz, preview: null, error: null });
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._ask(seq, c, tz);
    }, this._options.delay ?? PREVIEW_DELAY);
  }

  /** Stop: no more requests or changes. */
  dispose(): void {
    this._disposed = true;
    this._seq++;
    this._cancel();
  }

  private async _ask(seq: number, cron: string, timezone: string): Promise<void> {
    let next: CronPreviewState;
    try {
      const preview = await this._options.request(cron, timezone);
      next = { status: 'valid', cron, timezone, preview, error: null };
    } catch (err) {
      const message =
        err instanceof ScaleLabAPIError && err.status >= 400 && err.status < 500
          ? errorMessage(err)
          : `Could not check the schedule: ${errorMessage(err)}`;
      next = { status: 'invalid', cron, timezone, preview: null, error: message };
    }
    if (seq === this._seq && !this._disposed) {
      this._set(next);
    }
  }

  private _set(state: CronPreviewState): void {
    this._state = state;
    this._options.onChange?.(state);
  }

  private _cancel(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private readonly _options: CronPreviewerOptions;
  private _state: CronPreviewState = {
    status: 'pending',
    cron: '',
    timezone: '',
    preview: null,
    error: null
  };
  private _started = false;
  private _disposed = false;
  private _seq = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
