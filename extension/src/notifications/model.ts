import { type IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';

import { type NotificationModel, type ScaleLabClient } from '../common/api';
import { DEFAULT_SETTINGS } from '../common/settings';
import { MAX_SHOWN, newestId, readLastId, type StorageLike, writeLastId } from './helpers';

/** New notifications to show, oldest first; `skipped` older ones are not shown. */
export interface ReceivedNotifications {
  notifications: NotificationModel[];
  skipped: number;
}

/** Options for {@link NotificationsModel}. */
export interface NotificationsModelOptions {
  client: Pick<ScaleLabClient, 'listNotifications'>;
  /** Where the last id is kept across reloads and tabs (localStorage). */
  storage?: StorageLike | null;
  /** Milliseconds between fetches. */
  interval?: number;
}

/**
 * Fetches new notifications every {@link interval} ms once started, and
 * emits {@link received} with those to show.
 *
 * The very first fetch (nothing stored) only records the newest id, so
 * that old notifications are not replayed. The last id is kept in
 * localStorage: after a reload, the ones that came in meanwhile are shown,
 * and tabs sharing the storage do not show the same one twice.
 */
export class NotificationsModel implements IDisposable {
  constructor(options: NotificationsModelOptions) {
    this._options = options;
    this._lastId = readLastId(options.storage);
    const interval = options.interval ?? DEFAULT_SETTINGS.notificationsPollInterval;
    this._poll = new Poll({
      name: 'scalelab:notifications',
      auto: false,
      factory: () => this._tick(),
      frequency: { interval, backoff: false, max: interval },
      standby: 'never'
    });
  }

  /** Emitted with the new notifications to show. */
  get received(): ISignal<this, ReceivedNotifications> {
    return this._received;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** The id of the newest notification seen, if any. */
  get lastId(): number | null {
    return this._lastId;
  }

  /** Milliseconds between fetches. */
  get interval(): number {
    return this._poll.frequency.interval;
  }
  set interval(interval: number) {
    if (!this.isDisposed && interval !== this.interval) {
      this._poll.frequency = { interval, backoff: false, max: interval };
    }
  }

  /** Whether it fetches (between {@link start} and {@link stop}). */
  get running(): boolean {
    return this._running;
  }

  /** Fetch now, then every interval until {@link stop}. */
  start(): void {
    if (this._running || this.isDisposed) {
      return;
    }
    this._running = true;
    void this._poll.start();
  }

  /** Stop fetching. */
  stop(): void {
    if (!this._running || this.isDisposed) {
      return;
    }
    this._running = false;
    void this._poll.stop();
  }

  /** Fetch once and emit what is new; rejects when the fetch fails. */
  async poll(): Promise<void> {
    const { storage } = this._options;
    const stored = readLastId(storage);
    const after =
      stored === null
        ? this._lastId
        : this._lastId === null
          ? stored
          : Math.max(stored, this._lastId);
    const list = await this._options.client.listNotifications(after);
    const fresh = list.notifications.filter(n => after === null || n.id > after);
    const newest = newestId(fresh, after);
    // Another tab may have shown them meanwhile.
    const now = readLastId(storage);
    if (newest !== null && (now === null || newest > now)) {
      writeLastId(storage, newest);
    }
    this._lastId = newest ?? 0;
    if (after === null) {
      if (newest === null) {
        writeLastId(storage, 0);
      }
      return;
    }
    const shown = fresh.filter(n => now === null || n.id > now).sort((a, b) => a.id - b.id);
    if (shown.length > 0 && !this.isDisposed) {
      const skipped = Math.max(0, shown.length - MAX_SHOWN);
      this._received.emit({ notifications: shown.slice(skipped), skipped });
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._running = false;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** One poll; errors are logged once per outage, and polling goes on. */
  private async _tick(): Promise<void> {
    try {
      await this.poll();
      this._failing = false;
    } catch (err) {
      if (!this._failing) {
        console.warn('ScaleLab: could not fetch notifications', err);
      }
      this._failing = true;
    }
  }

  private readonly _options: NotificationsModelOptions;
  private readonly _poll: Poll;
  private readonly _received = new Signal<this, ReceivedNotifications>(this);
  private _lastId: number | null;
  private _running = false;
  private _failing = false;
}
