/**
 * Notifications of scheduled runs: the links they carry, and the last id
 * seen (kept in localStorage).
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import { type NotificationModel } from '../common/api';
import { plainTrans, type TranslationBundle } from '../common/trans';

/** The localStorage key of the id of the newest notification seen. */
export const LAST_NOTIFICATION_KEY = 'scalelab:last-notification-id';

/** At most this many notifications are shown at once (the newest). */
export const MAX_SHOWN = 5;

/** The query parameters of a link to a diff between two runs. */
export const DIFF_QUERY = {
  project: 'scalelab-project',
  run: 'scalelab-run',
  compare: 'scalelab-compare',
  step: 'scalelab-step'
} as const;

/** The query parameter of a link to a tab of a project's dashboard (with `scalelab-project`). */
export const VIEW_QUERY = 'scalelab-view';

/** A diff of one step between a run and an earlier one. */
export interface DiffLink {
  project: string;
  /** The newer run. */
  run: string;
  /** The run to compare with (e.g. the last successful one). */
  compare: string;
  step: string;
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url, 'http://localhost/');
  } catch {
    return null;
  }
}

/**
 * The lab path of the notebook a link opens:
 * `https://hub/hub/user-redirect/lab/tree/runs/churn/r1/train.ipynb` ->
 * `runs/churn/r1/train.ipynb` (decoded); `null` for other links.
 */
export function outputPathFromLink(url: string | null | undefined): string | null {
  if (!url) {
    return null;
  }
  const parsed = parseUrl(url);
  if (parsed === null) {
    return null;
  }
  const marker = '/lab/tree/';
  const at = parsed.pathname.indexOf(marker);
  if (at < 0) {
    return null;
  }
  const segments = parsed.pathname
    .slice(at + marker.length)
    .split('/')
    .filter(s => s !== '');
  try {
    const path = segments.map(s => decodeURIComponent(s)).join('/');
    const parts = path.split('/');
    if (!path || parts.some(s => s === '..' || s === '.' || s === '')) {
      return null;
    }
    return path;
  } catch {
    return null;
  }
}

/**
 * The diff named by `scalelab-project`, `scalelab-run`, `scalelab-compare`
 * and `scalelab-step` in a query string (e.g. `window.location.search`);
 * `null` unless all four are there.
 */
export function diffLinkFromSearch(search: string | URLSearchParams): DiffLink | null {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const project = params.get(DIFF_QUERY.project);
  const run = params.get(DIFF_QUERY.run);
  const compare = params.get(DIFF_QUERY.compare);
  const step = params.get(DIFF_QUERY.step);
  if (!project || !run || !compare || !step) {
    return null;
  }
  return { project, run, compare, step };
}

/**
 * A link to a project that is not a diff: a run (`scalelab-run`, e.g. a
 * retrain run of a monitor's breach) or a dashboard tab (`scalelab-view`,
 * e.g. `monitors` from a monitor's alert); `null` for a diff or no link.
 */
export function projectLinkFromSearch(
  search: string | URLSearchParams
): { project: string; run: string | null; view: string | null } | null {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const project = params.get(DIFF_QUERY.project);
  const run = params.get(DIFF_QUERY.run) || null;
  const view = params.get(VIEW_QUERY) || null;
  if (!project || diffLinkFromSearch(params) !== null || (run === null && view === null)) {
    return null;
  }
  return { project, run, view };
}

/** The diff a link (e.g. a notification's `links.diff`) opens, if any. */
export function diffLinkFromUrl(url: string | null | undefined): DiffLink | null {
  if (!url) {
    return null;
  }
  const parsed = parseUrl(url);
  return parsed === null ? null : diffLinkFromSearch(parsed.searchParams);
}

/** `search` without the query parameters of ScaleLab links (`''` when none remain). */
export function withoutDiffQuery(search: string): string {
  const params = new URLSearchParams(search);
  for (const name of [...Object.values(DIFF_QUERY), VIEW_QUERY]) {
    params.delete(name);
  }
  const rest = params.toString();
  return rest ? `?${rest}` : '';
}

/** The title of the diff tab: `Diff train: r0 → r1`. */
export function diffTitle(link: DiffLink, trans: TranslationBundle = plainTrans): string {
  return trans.__('Diff %1: %2 → %3', link.step, link.compare, link.run);
}

/** The text of a notification toast. */
export function notificationText(notification: NotificationModel): string {
  const message = notification.message.trim();
  return message ? `${notification.title}: ${message}` : notification.title;
}

/** The largest id of `notifications`, or `fallback` when there are none. */
export function newestId(
  notifications: readonly Pick<NotificationModel, 'id'>[],
  fallback: number | null
): number | null {
  return notifications.reduce<number | null>(
    (max, n) => (max === null || n.id > max ? n.id : max),
    fallback
  );
}

/** A `localStorage`-like store. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The id stored under {@link LAST_NOTIFICATION_KEY}, or `null`. */
export function readLastId(storage: StorageLike | null | undefined): number | null {
  try {
    const text = storage?.getItem(LAST_NOTIFICATION_KEY);
    if (text === null || text === undefined || !/^\d+$/.test(text)) {
      return null;
    }
    return Number(text);
  } catch {
    return null;
  }
}

/** Store `id` under {@link LAST_NOTIFICATION_KEY} (quietly, if possible). */
export function writeLastId(storage: StorageLike | null | undefined, id: number): void {
  try {
    storage?.setItem(LAST_NOTIFICATION_KEY, String(id));
  } catch {
    // Storage full or forbidden: this tab still remembers the id.
  }
}
