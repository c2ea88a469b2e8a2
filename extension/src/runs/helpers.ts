/**
 * Pure helpers for runs: project paths, the parameters form, run lists.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  type ParameterModel,
  type ProjectModel,
  roleAtLeast,
  type RunModel,
  type RunStatus,
  type StepModel,
  type UserModel
} from '../common/api';
import { formatTimestamp } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';

/** The folder holding the project workspaces, relative to the lab root. */
export const PROJECTS_FOLDER = 'projects';

/** A lab path split into the project and the path inside its workspace. */
export interface ProjectPath {
  slug: string;
  /** Relative to the project workspace, e.g. `sub/pipeline.yaml`. */
  relative: string;
}

/**
 * Split a lab path like `projects/<slug>/sub/train.ipynb` into the slug and
 * the workspace-relative path; `null` when it is not inside a project.
 *
 * A leading `/` and a drive prefix (`RTC:projects/...`) are ignored.
 */
export function splitProjectPath(
  path: string | null | undefined
): ProjectPath | null {
  if (typeof path !== 'string') {
    return null;
  }
  const parts = path
    .replace(/^[^/:]*:/, '')
    .split('/')
    .filter(part => part !== '' && part !== '.');
  if (parts.length < 3 || parts[0] !== PROJECTS_FOLDER) {
    return null;
  }
  if (parts.includes('..')) {
    return null;
  }
  return { slug: parts[1], relative: parts.slice(2).join('/') };
}

/** What a file can be run as, from its name. */
export type RunnableKind = 'notebook' | 'pipeline';

/** `notebook` for `.ipynb`, `pipeline` for `.yaml`/`.yml`, else `null`. */
export function runnableKind(path: string | null | undefined): RunnableKind | null {
  if (typeof path !== 'string') {
    return null;
  }
  const name = path.toLowerCase();
  if (name.endsWith('.ipynb')) {
    return 'notebook';
  }
  if (name.endsWith('.yaml') || name.endsWith('.yml')) {
    return 'pipeline';
  }
  return null;
}

/** The raw value of a form control: text, or checked for a checkbox. */
export type RawValue = string | boolean;

/** How a parameter is edited in the run form. */
export type ParameterControl = 'integer' | 'number' | 'checkbox' | 'text' | 'json';

/** The form control for a parameter type. */
export function parameterControl(param: Pick<ParameterModel, 'type'>): ParameterControl {
  switch (param.type) {
    case 'int':
      return 'integer';
    case 'float':
      return 'number';
    case 'bool':
      return 'checkbox';
    case 'list':
    case 'dict':
      return 'json';
    default:
      return 'text';
  }
}

/** Python's names for the JSON constants, accepted where a value of any type is typed. */
const PYTHON_NAMES: Record<string, unknown> = { True: true, False: false, None: null };

/** `text` parsed as JSON (or `True`, `False`, `None`). */
function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = text.trim();
  if (Object.prototype.hasOwnProperty.call(PYTHON_NAMES, trimmed)) {
    return { ok: true, value: PYTHON_NAMES[trimmed] };
  }
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch {
    return { ok: false };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` has the JSON shape of a parameter `type`. */
function fitsType(type: string, value: unknown): boolean {
  switch (type) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    case 'str':
      return typeof value === 'string';
    case 'list':
      return Array.isArray(value);
    case 'dict':
      return isPlainObject(value);
    default:
      return true;
  }
}

/**
 * The typed default of a parameter: its JSON `default`, e.g. `"a"`, `true`,
 * `1000`, `{k: [1, null]}`.
 *
 * `undefined` when the default is no literal (`default_source` holds its
 * Python source, e.g. `os.environ["X"]`) or does not fit the parameter's
 * type.
 */
export function defaultValue(param: ParameterModel): unknown {
  if (typeof param.default_source === 'string' || param.default === undefined) {
    return undefined;
  }
  return fitsType(param.type, param.default) ? param.default : undefined;
}

/** A default that is no JSON value, as the notebook writes it (`''` if none). */
function sourceOf(param: ParameterModel): string {
  if (typeof param.default_source === 'string') {
    return param.default_source;
  }
  return JSON.stringify(param.default) ?? '';
}

/** What the run form shows first for a parameter. */
export function initialRaw(param: ParameterModel): RawValue {
  const value = defaultValue(param);
  switch (parameterControl(param)) {
    case 'checkbox':
      return value === true;
    case 'integer':
    case 'number':
      return typeof value === 'number' ? String(value) : '';
    case 'json':
      return value === undefined ? sourceOf(param) : JSON.stringify(value);
    default:
      if (param.type === 'str' && typeof value === 'string') {
        return value;
      }
      // Any type: the value as JSON (`null`, `"a"`, `3`), or the expression.
      return sourceOf(param);
  }
}

/**
 * What the run form shows for a parameter set to `value` (e.g. a parameter
 * of an earlier run): the inverse of {@link readValue}.
 */
export function rawFromValue(param: ParameterModel, value: unknown): RawValue {
  switch (parameterControl(param)) {
    case 'checkbox':
      return typeof value === 'boolean' ? value : initialRaw(param);
    case 'integer':
    case 'number':
      return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? '';
    case 'json':
      return JSON.stringify(value) ?? '';
    default:
      if (param.type === 'str' && typeof value === 'string') {
        return value;
      }
      // Any type: a literal, so that the string "3" stays a string.
      return JSON.stringify(value) ?? String(value);
  }
}

const INTEGER = /^[+-]?\d(?:_?\d)*$/;
const DECIMAL = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;

function describe(type: string): string {
  switch (type) {
    case 'int':
      return 'an integer';
    case 'float':
      return 'a number';
    case 'bool':
      return 'true or false';
    case 'list':
      return 'a JSON list, e.g. [1, 2]';
    case 'dict':
      return 'a JSON object, e.g. {"a": 1}';
    default:
      return 'a value';
  }
}

/**
 * The typed value of a form control for `param`.
 *
 * Throws an `Error` naming the parameter when the input does not fit its
 * type (e.g. `epochs: expected an integer, got "ten"`).
 */
export function readValue(param: ParameterModel, raw: RawValue): unknown {
  const { name, type } = param;
  const bad = (detail?: string): Error =>
    new Error(
      `${name}: expected ${describe(type)}` +
        (detail !== undefined ? `, got ${detail}` : '')
    );
  if (typeof raw === 'boolean') {
    if (type === 'bool' || !['int', 'float', 'str', 'list', 'dict'].includes(type)) {
      return raw;
    }
    throw bad(String(raw));
  }
  const text = raw.trim();
  switch (type) {
    case 'int': {
      if (text === '') {
        throw new Error(`${name}: enter an integer`);
      }
      if (!INTEGER.test(text)) {
        throw bad(JSON.stringify(raw));
      }
      const value = Number(text.replace(/_/g, ''));
      if (!Number.isSafeInteger(value)) {
        throw new Error(`${name}: ${text} is too large`);
      }
      return value;
    }
    case 'float': {
      if (text === '') {
        throw new Error(`${name}: enter a number`);
      }
      const value = DECIMAL.test(text) ? Number(text.replace(/_/g, '')) : NaN;
      if (!Number.isFinite(value)) {
        throw bad(JSON.stringify(raw));
      }
      return value;
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1' || lower === 'yes') {
        return true;
      }
      if (lower === 'false' || lower === '0' || lower === 'no') {
        return false;
      }
      throw bad(JSON.stringify(raw));
    }
    case 'str':
      return raw;
    case 'list':
    case 'dict': {
      if (text === '') {
        throw new Error(`${name}: enter ${describe(type)}`);
      }
      const parsed = tryJson(text);
      if (!parsed.ok) {
        throw new Error(`${name}: not valid JSON: ${text}`);
      }
      if (!fitsType(type, parsed.value)) {
        throw bad(
          Array.isArray(parsed.value)
            ? 'a list'
            : isPlainObject(parsed.value)
              ? 'an object'
              : JSON.stringify(parsed.value)
        );
      }
      return parsed.value;
    }
    default: {
      // Any type: JSON if it parses (`null`, `3`, `[1]`, `"a"`), else the text.
      const parsed = tryJson(text);
      return parsed.ok ? parsed.value : raw;
    }
  }
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every(key => key in b && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

/**
 * The parameters whose form value differs from their default, typed.
 *
 * `raws` maps parameter names to control values; missing names and values
 * left as first shown are skipped. Throws the first {@link readValue} error.
 */
export function changedParameters(
  params: readonly ParameterModel[],
  raws: Readonly<Record<string, RawValue | undefined>>
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const param of params) {
    const raw = raws[param.name];
    if (raw === undefined || raw === initialRaw(param)) {
      continue;
    }
    const value = readValue(param, raw);
    const original = defaultValue(param);
    if (original !== undefined && jsonEqual(value, original)) {
      continue;
    }
    changed[param.name] = value;
  }
  return changed;
}

/** Every run status. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'skipped'
];

/** Whether a run or step is still queued or running. */
export function isActiveStatus(status: string): boolean {
  return status === 'queued' || status === 'running';
}

/** Whether any run is queued or running (the list must be polled). */
export function hasActiveRuns(runs: readonly Pick<RunModel, 'status'>[]): boolean {
  return runs.some(run => isActiveStatus(run.status));
}

/** The CSS modifier class of a status badge, e.g. `jp-mod-running`. */
export function statusClass(status: string): string {
  const known = (RUN_STATUSES as readonly string[]).includes(status);
  return `jp-mod-${known ? status : 'unknown'}`;
}

function time(at: string | null | undefined): number {
  if (!at) {
    return NaN;
  }
  return Date.parse(at);
}

/** Order of runs: newest `created_at` first, then by id (newest first). */
export function compareRuns(
  a: Pick<RunModel, 'created_at' | 'id'>,
  b: Pick<RunModel, 'created_at' | 'id'>
): number {
  const ta = time(a.created_at);
  const tb = time(b.created_at);
  const byTime =
    (Number.isNaN(tb) ? 0 : tb) - (Number.isNaN(ta) ? 0 : ta);
  if (byTime !== 0) {
    return byTime;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Newest first (returns a copy). */
export function sortRuns<T extends Pick<RunModel, 'created_at' | 'id'>>(
  runs: readonly T[]
): T[] {
  return [...runs].sort(compareRuns);
}

/** Replace the run with the same id, or add it; newest first (a copy). */
export function upsertRun(runs: readonly RunModel[], run: RunModel): RunModel[] {
  return sortRuns([...runs.filter(r => r.id !== run.id), run]);
}

/** `5s`, `2m 05s`, `1h 02m`, `3d 4h`; `''` for negative or invalid spans. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.floor(seconds);
  if (s < 60) {
    return seconds < 10 && seconds !== s ? `${seconds.toFixed(1)}s` : `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * The duration of a run or step: finished - started, or now - started
 * while it is still running; `''` when it has not started.
 */
export function formatDuration(
  item: Pick<StepModel, 'started_at' | 'finished_at'>,
  now: number = Date.now()
): string {
  const start = time(item.started_at);
  if (Number.isNaN(start)) {
    return '';
  }
  const end = item.finished_at ? time(item.finished_at) : now;
  return formatSeconds((end - start) / 1000);
}

/** When a run started (or was created, while queued). */
export function formatStarted(
  run: Pick<RunModel, 'started_at' | 'created_at'>
): string {
  return formatTimestamp(run.started_at ?? run.created_at);
}

/** `place 2 in the queue` for a run waiting for an executor slot; `''` otherwise. */
export function formatQueuePlace(
  run: Pick<RunModel, 'status' | 'queue_position'>,
  trans: TranslationBundle = plainTrans
): string {
  return run.status === 'queued' && run.queue_position
    ? trans.__('place %1 in the queue', run.queue_position)
    : '';
}

/** Parameters as `key=value` pairs (JSON for non-strings); `''` if none. */
export function formatParameters(
  parameters: Record<string, unknown> | null | undefined
): string {
  return Object.entries(parameters ?? {})
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${text ?? String(value)}`;
    })
    .join(' ');
}

/** `1 attempt`, `2 attempts`. */
export function formatAttempts(
  attempts: number,
  trans: TranslationBundle = plainTrans
): string {
  return trans._n('%1 attempt', '%1 attempts', attempts);
}

/** Whether the caller may cancel runs: runner or more, or a hub admin. */
export function canCancelRuns(
  project: Pick<ProjectModel, 'my_role'> | null | undefined,
  user: Pick<UserModel, 'admin'> | null | undefined
): boolean {
  return user?.admin === true || roleAtLeast(project?.my_role, 'runner');
}

/** Whether a step finished with an output worth comparing. */
function comparableStatus(status: string): boolean {
  return status === 'succeeded' || status === 'failed';
}

/**
 * The newest run of the same target created before `run` with a succeeded
 * or failed step named `step`; `null` when there is none.
 */
export function previousRunWithStep(
  runs: readonly RunModel[],
  run: RunModel,
  step: string
): RunModel | null {
  const earlier = sortRuns(
    runs.filter(
      other =>
        other.id !== run.id &&
        other.target === run.target &&
        compareRuns(run, other) < 0 &&
        other.steps.some(s => s.name === step && comparableStatus(s.status))
    )
  );
  return earlier[0] ?? null;
}

/**
 * The run to compare a step of `run` with, or `null` when the step has no
 * output yet or no earlier run of the same target has that step.
 */
export function compareTarget(
  runs: readonly RunModel[],
  run: RunModel,
  step: StepModel
): RunModel | null {
  if (!step.output) {
    return null;
  }
  return previousRunWithStep(runs, run, step.name);
}

/** The MLflow run of `run`, if it has one (services before tracking leave it out). */
export function runTracking(run: Pick<RunModel, 'tracking'>): RunModel['tracking'] {
  return run.tracking ?? null;
}

/**
 * The MLflow UI page of a pipeline step's own (nested) MLflow run: the
 * run's page with the step's run id; `null` when the step has none of its
 * own or the run's page is not of the usual form.
 */
export function stepTrackingUrl(
  run: Pick<RunModel, 'tracking'>,
  step: Pick<StepModel, 'tracking_run_id'>
): string | null {
  const tracking = runTracking(run);
  const stepRun = step.tracking_run_id ?? null;
  if (tracking === null || stepRun === null || stepRun === tracking.run_id) {
    return null;
  }
  const suffix = `/runs/${tracking.run_id}`;
  if (!tracking.url.endsWith(suffix)) {
    return null;
  }
  return tracking.url.slice(0, -tracking.run_id.length) + encodeURIComponent(stepRun);
}
