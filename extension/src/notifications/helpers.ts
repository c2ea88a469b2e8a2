/**
 * Notifications of scheduled runs: the links they carry and the poller
 * that fetches new ones.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import { type NotificationModel, type ScaleLabClient } from './api';

/** The localStorage key of the id of the newest notification seen. */
export const LAST_NOTIFICATION_KEY = 'scalelab:last-notification-id';

/** How often notifications are fetched (ms). */
export const NOTIFICATION_POLL_INTERVAL = 10000;

/** At most this many notifications are shown at once (the newest). */
export const MAX_SHOWN = 5;

/** The query parameters of a link to a diff between two runs. */
export const DIFF_QUERY = {
  project: 'scalelab-project',
  run: 'scalelab-run',
  compare: 'scalelab-compare',
  step: 'scalelab-step'
} as const;

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

/** The diff a link (e.g. a notification's `links.diff`) opens, if any. */
export function diffLinkFromUrl(url: string | null | undefined): DiffLink | null {
  if (!url) {
    return null;
  }
  const parsed = parseUrl(url);
  return parsed === null ? null : diffLinkFromSearch(parsed.searchParams);
}

/** `search` without the diff's query parameters (`''` when none remain). */
export function withoutDiffQuery(search: string): string {
  const params = new URLSearchParams(search);
  for (const name of Object.values(DIFF_QUERY)) {
    params.delete(name);
  }
  const rest = params.toString();
  return rest ? `?${rest}` : '';
}

/** The title of the diff tab: `Diff train: r0 → r1`. */
export function diffTitle(link: DiffLink): string {
  return `Diff ${link.step}: ${link.compare} → ${link.run}`;
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

function writeLastId(storage: StorageLike | null | undefined, id: number): void {
  try {
    storage?.setItem(LAST_NOTIFICATION_KEY, String(id));
  } catch {
    // Storage full or forbidden: this tab still remembers the id.
  }
}

/** Options for {@link NotificationPoller}. */
export interface NotificationPollerOptions {
  client: Pick<ScaleLabClient, 'listNotifications'>;
  /** Show new notifications, oldest first; `skipped` older ones were not shown. */
  show: (notifications: NotificationModel[], skipped: number) => void;
  /** Where the last id is kept across reloads and tabs (localStorage). */
  storage?: StorageLike | null;
  /** Default {@link NOTIFICATION_POLL_INTERVAL}. */
  interval?: number;
}

/**
 * Fetches new notifications every {@link NOTIFICATION_POLL_INTERVAL} ms.
 *
 * The very first fetch (nothing stored) only records the newest id, so
 * that old notifications are not replayed. The last id is kept in
 * localStorage: after a reload, the ones that came in meanwhile are shown,
 * and tabs sharing the storage do not show the same one twice.
 */
export class NotificationPoller {
  constructor(options: NotificationPollerOptions) {
    this._options = options;
    this._lastId = readLastId(options.storage);
  }

  /** The id of the newest notification seen, if any. */
  get lastId(): number | null {
    return this._lastId;
  }

  /** Poll now, then every interval until {@link stop}. */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    void this._tick();
  }

  /** Stop polling. */
  stop(): void {
    this._running = false;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /** Fetch once and show what is new. */
  async poll(): Promise<void> {
    const stored = readLastId(this._options.storage);
    const after =
      stored === null ? this._lastId : this._lastId === null ? stored : Math.max(stored, this._lastId);
    const list = await this._options.client.listNotifications(after);
    const fresh = list.notifications.filter(n => after === null || n.id > after);
    const newest = newestId(fresh, after);
    // Another tab may have shown them meanwhile.
    const now = readLastId(this._options.storage);
    if (newest !== null && (now === null || newest > now)) {
      writeLastId(this._options.storage, newest);
    }
    this._lastId = newest ?? 0;
    if (after === null) {
      if (newest === null) {
        writeLastId(this._options.storage, 0);
      }
      return;
    }
    const shown = fresh.filter(n => now === null || n.id > now).sort((a, b) => a.id - b.id);
    if (shown.length > 0) {
      const skipped = Math.max(0, shown.length - MAX_SHOWN);
      this._options.show(shown.slice(skipped), skipped);
    }
  }

  private async _tick(): Promise<void> {
    try {
      await this.poll();
      this._failing = false;
    } catch (err) {
      // Once per outage, not every interval.
      if (!this._failing) {
        console.warn('ScaleLab: could not fetch notifications', err);
      }
      this._failing = true;
    }
    if (this._running) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this._tick();
      }, this._options.interval ?? NOTIFICATION_POLL_INTERVAL);
    }
  }

  private readonly _options: NotificationPollerOptions;
  private _lastId: number | null;
  private _running = false;
  private _failing = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
