/**
 * Pure helpers for the monitors of a project: orders, what a row shows
 * (status, next check, last breach), what a check found, the states of a
 * breach's loop, and the "New monitor" form.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  type MonitorBreachModel,
  type MonitorCheckModel,
  type MonitorCreate,
  type MonitorMetric,
  type MonitorModel
} from '../common/api';
import { formatTimestamp } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { ENDPOINT_NAME } from '../deployments/helpers';

export { canDeploy } from '../models/helpers';

/** The scores a monitor can track on posted labels, in the order the form offers them. */
export const MONITOR_METRICS: readonly MonitorMetric[] = ['accuracy', 'f1', 'mae', 'rmse'];

/** When a new monitor checks unless told otherwise (the service's default: hourly). */
export const DEFAULT_CRON = '0 * * * *';

/** The states of a breach while its loop runs (the others are final). */
const LOOP_STATES: readonly string[] = [
  'retraining',
  'registering',
  'staging',
  'evaluating',
  'promoting',
  'keeping'
];

/** Monitors by name (returns a copy). */
export function sortMonitors(monitors: readonly MonitorModel[]): MonitorModel[] {
  return [...monitors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Replace the monitor with the same name, or add it (by name). */
export function upsertMonitor(
  monitors: readonly MonitorModel[],
  monitor: MonitorModel
): MonitorModel[] {
  return sortMonitors([...monitors.filter(m => m.name !== monitor.name), monitor]);
}

/** The modifier class of a monitor's or check's status badge (as the runs' badges). */
export function statusClass(status: string): string {
  switch (status) {
    case 'ok':
      return 'jp-mod-succeeded';
    case 'running':
      return 'jp-mod-running';
    case 'new':
      return 'jp-mod-queued';
    case 'breach':
    case 'error':
      return 'jp-mod-failed';
    default:
      // "too few rows": nothing was judged.
      return 'jp-mod-skipped';
  }
}

/** What a monitor's status badge says: the last check's status, or `paused`. */
export function statusLabel(
  monitor: Pick<MonitorModel, 'status' | 'paused'>,
  trans: TranslationBundle = plainTrans
): string {
  return monitor.paused ? trans.__('paused') : monitor.status;
}

/** The class of a monitor's badge: `paused` looks like nothing to judge. */
export function monitorClass(monitor: Pick<MonitorModel, 'status' | 'paused'>): string {
  return monitor.paused ? 'jp-mod-skipped' : statusClass(monitor.status);
}

/** Whether a breach's loop is still under way. */
export function loopRunning(state: string): boolean {
  return LOOP_STATES.includes(state);
}

/** A breach state as said to people: `retraining…` while under way, `kept live model`. */
export function breachStateLabel(state: string, trans: TranslationBundle = plainTrans): string {
  if (loopRunning(state)) {
    return trans.__('%1…', state);
  }
  return state === 'kept' ? trans.__('kept live model') : state;
}

/** The modifier class of a breach state's badge. */
export function breachStateClass(state: string): string {
  if (loopRunning(state)) {
    return 'jp-mod-running';
  }
  switch (state) {
    case 'promoted':
      return 'jp-mod-succeeded';
    case 'failed':
      return 'jp-mod-failed';
    case 'alerted':
      return 'jp-mod-cancelled';
    default:
      return 'jp-mod-skipped';
  }
}

/** A monitor's last breach in a cell: `promoted: 0.91 beats 0.85`, `—` for none. */
export function lastBreachSummary(
  breach: Pick<MonitorBreachModel, 'state' | 'decision'> | null,
  trans: TranslationBundle = plainTrans
): string {
  if (breach === null) {
    return '—';
  }
  const state = breachStateLabel(breach.state, trans);
  const decision = breach.decision.trim();
  return decision ? `${state}: ${decision}` : state;
}

/**
 * How long until `at`: `in 5 min`, `in 2 hours`, `in 3 days`; `due` once
 * past (a check waits for its turn); `at` itself when unreadable.
 */
export function formatUntil(
  at: string,
  now: number = Date.now(),
  trans: TranslationBundle = plainTrans
): string {
  const time = Date.parse(at);
  if (Number.isNaN(time)) {
    return at;
  }
  const minutes = Math.ceil((time - now) / 60000);
  if (minutes <= 0) {
    return trans.__('due');
  }
  if (minutes < 60) {
    return trans._n('in %1 min', 'in %1 min', minutes);
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return trans._n('in %1 hour', 'in %1 hours', hours);
  }
  const days = Math.floor(hours / 24);
  return days < 30
    ? trans._n('in %1 day', 'in %1 days', days)
    : formatTimestamp(at).slice(0, 10);
}

/** A monitor's next check in a cell: `paused`, `—` if none is planned, or {@link formatUntil}. */
export function nextCheckLabel(
  monitor: Pick<MonitorModel, 'paused' | 'next_check_at'>,
  now: number = Date.now(),
  trans: TranslationBundle = plainTrans
): string {
  if (monitor.paused) {
    return trans.__('paused');
  }
  return monitor.next_check_at ? formatUntil(monitor.next_check_at, now, trans) : '—';
}

/** What a check found, read safely from its free-form summary. */
export interface CheckFindings {
  /** Rows in the window, if counted. */
  rows: number | null;
  drifted: string[];
  /** Columns in possible drift. */
  possible: string[];
  /** Data quality issues, as `column: kind`. */
  issues: string[];
  /** The model's score on posted labels, if tracked: `accuracy 0.91`. */
  score: string | null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The findings of a check (an error or a check under way has none: empty). */
export function checkFindings(check: Pick<MonitorCheckModel, 'summary'>): CheckFindings {
  const summary = check.summary ?? {};
  const rows = typeof summary.rows === 'number' ? summary.rows : null;
  const issues = Array.isArray(summary.issues)
    ? summary.issues.flatMap(issue => {
        const { column, kind } = (issue ?? {}) as { column?: unknown; kind?: unknown };
        return typeof column === 'string' && typeof kind === 'string' ? [`${column}: ${kind}`] : [];
      })
    : [];
  const found = summary.score as { metric?: unknown; value?: unknown } | null | undefined;
  const score =
    found && typeof found.metric === 'string'
      ? `${found.metric} ${typeof found.value === 'number' ? formatScore(found.value) : '—'}`
      : null;
  return {
    rows,
    drifted: strings(summary.drifted),
    possible: strings(summary.possible),
    issues,
    score
  };
}

/** A score with at most 4 significant digits: `0.9123`, `12.35`. */
export function formatScore(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : '—';
}

/** Drifted columns in a cell: `age, income`, `(possible: zip)`; `none` when none. */
export function driftedLabel(
  findings: Pick<CheckFindings, 'drifted' | 'possible'>,
  trans: TranslationBundle = plainTrans
): string {
  const parts: string[] = [];
  if (findings.drifted.length) {
    parts.push(findings.drifted.join(', '));
  }
  if (findings.possible.length) {
    parts.push(trans.__('(possible: %1)', findings.possible.join(', ')));
  }
  return parts.length ? parts.join(' ') : trans.__('none');
}

/** The drift report of a check as a link target: only `http(s)` URLs (it opens a new tab). */
export function reportLink(check: Pick<MonitorCheckModel, 'report_url'>): string | null {
  const url = check.report_url;
  return url && /^https?:\/\//i.test(url) ? url : null;
}

/** What a monitor watches and how, on one line: `0 * * * * (UTC) · 24 h window · f1 ≥ 0.8`. */
export function monitorSettings(
  monitor: Pick<
    MonitorModel,
    'cron' | 'timezone' | 'window_hours' | 'metric' | 'score_limit' | 'drifted_columns' | 'retrain'
  >,
  trans: TranslationBundle = plainTrans
): string {
  const parts = [
    trans.__('checks %1 (%2)', monitor.cron, monitor.timezone),
    trans.__('%1 h window', monitor.window_hours),
    trans._n(
      'a breach at %1 drifted column',
      'a breach at %1 drifted columns',
      monitor.drifted_columns
    )
  ];
  if (monitor.metric) {
    parts.push(
      monitor.score_limit === null
        ? trans.__('tracks %1', monitor.metric)
        : trans.__('tracks %1 (limit %2)', monitor.metric, formatScore(monitor.score_limit))
    );
  }
  parts.push(
    monitor.retrain
      ? trans.__('retrains %1 into %2', monitor.retrain.target, monitor.retrain.model_name)
      : trans.__('alerts only')
  );
  return parts.join(' · ');
}

/** The "New monitor" form as typed. */
export interface MonitorFormRaw {
  name: string;
  endpoint: string;
  cron: string;
  /** `''`: no metric, drift only. */
  metric: string;
}

/** What the monitor watches: its endpoint, or the data set a pipeline writes. */
export function watched(monitor: MonitorModel): string {
  if (monitor.endpoint) {
    return monitor.endpoint;
  }
  return monitor.dataset ? `${monitor.dataset.output} (${monitor.dataset.target})` : '';
}

/** The "New monitor" form's first values: watching `endpoint`, named after it. */
export function newMonitorRaw(endpoint = ''): MonitorFormRaw {
  return { name: endpoint, endpoint, cron: DEFAULT_CRON, metric: '' };
}

/** The body of `POST api/projects/{slug}/monitors`, or why the form cannot be sent. */
export function readMonitorForm(
  raw: MonitorFormRaw,
  trans: TranslationBundle = plainTrans
): { value: MonitorCreate | null; error: string | null } {
  const name = raw.name.trim();
  if (!ENDPOINT_NAME.test(name)) {
    return {
      value: null,
      error: trans.__(
        'The name: lowercase letters, digits and dashes (at most 40), ' +
          'starting with a letter or digit.'
      )
    };
  }
  if (!raw.endpoint) {
    return { value: null, error: trans.__('Choose the endpoint to watch (deploy one first).') };
  }
  // The service checks the fields themselves; five of them is what a typo breaks.
  const cron = raw.cron.trim().split(/\s+/).join(' ');
  if (cron.split(' ').length !== 5) {
    return { value: null, error: trans.__('When: five cron fields, e.g. 0 * * * * (hourly).') };
  }
  const metric = (MONITOR_METRICS as readonly string[]).includes(raw.metric)
    ? (raw.metric as MonitorMetric)
    : null;
  return { value: { name, endpoint: raw.endpoint, cron, metric }, error: null };
}
