/**
 * The load-and-poll cycle of the Runs and Schedules views.
 *
 * No DOM and no JupyterLab imports, so vitest can test it in plain Node.
 */

/** Options for {@link Poller}. */
export interface PollerOptions {
  /** Milliseconds from the end of one load to the next poll. */
  interval: number;
  /** Whether to poll again; asked each time a load has ended. */
  keepPolling: () => boolean;
  /** What the timer runs: the view's reload, which calls {@link Poller.load}. */
  poll: () => unknown;
}

/**
 * Loads a view's data and, while `keepPolling()` says so, polls again
 * `interval` ms after each load has ended.
 *
 * Only the newest load counts: the result (or error) of a load overtaken
 * by a later {@link load}, by {@link cancel} or by {@link dispose} is
 * dropped, and it schedules no poll. There is at most one timer.
 */
export class Poller {
  constructor(options: PollerOptions) {
    this._options = options;
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this._disposed;
  }

  /** Whether a poll waits on the timer. */
  get scheduled(): boolean {
    return this._timer !== null;
  }

  /**
   * Stop the timer, `request` the data and hand it to `onLoad` (or the
   * error, also one thrown by `onLoad`, to `onError`); then poll again if
   * `keepPolling()`. Nothing happens once disposed, and nothing after the
   * request when this load was overtaken meanwhile.
   */
  async load<T>(
    request: () => Promise<T>,
    onLoad: (value: T) => void,
    onError: (err: unknown) => void
  ): Promise<void> {
    if (this._disposed) {
      return;
    }
    const id = ++this._loadId;
    this.stop();
    try {
      const value = await request();
      if (id !== this._loadId) {
        return;
      }
      onLoad(value);
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      onError(err);
    }
    this._schedule();
  }

  /** Stop the timer; a load under way still schedules the next poll. */
  stop(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /** Stop the timer and drop the result of any load under way. */
  cancel(): void {
    this._loadId++;
    this.stop();
  }

  /** Stop for good. */
  dispose(): void {
    this._disposed = true;
    this.cancel();
  }

  private _schedule(): void {
    if (this._disposed || this._timer !== null || !this._options.keepPolling()) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._options.poll();
    }, this._options.interval);
  }

  private readonly _options: PollerOptions;
  private _disposed = false;
  private _loadId = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
