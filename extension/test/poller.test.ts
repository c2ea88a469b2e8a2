import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Poller } from '../src/poller';

const INTERVAL = 1000;

/** A promise to settle by hand. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A poller whose timer counts its polls; `keep` says whether to poll on. */
function makePoller(keep = true) {
  const state = { keep, polls: 0 };
  const poller = new Poller({
    interval: INTERVAL,
    keepPolling: () => state.keep,
    poll: () => {
      state.polls++;
    }
  });
  return { poller, state };
}

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the loaded value on, then polls after the interval', async () => {
    const { poller, state } = makePoller();
    const onLoad = vi.fn();
    const onError = vi.fn();
    await poller.load(() => Promise.resolve(42), onLoad, onError);
    expect(onLoad).toHaveBeenCalledWith(42);
    expect(onError).not.toHaveBeenCalled();
    expect(poller.scheduled).toBe(true);
    vi.advanceTimersByTime(INTERVAL - 1);
    expect(state.polls).toBe(0);
    vi.advanceTimersByTime(1);
    expect(state.polls).toBe(1);
    expect(poller.scheduled).toBe(false);
  });

  it('hands an error on and polls again all the same', async () => {
    const { poller, state } = makePoller();
    const onLoad = vi.fn();
    const onError = vi.fn();
    const err = new Error('down');
    await poller.load(() => Promise.reject(err), onLoad, onError);
    expect(onLoad).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(err);
    vi.advanceTimersByTime(INTERVAL);
    expect(state.polls).toBe(1);
  });

  it('hands an error thrown by onLoad to onError', async () => {
    const { poller } = makePoller();
    const err = new Error('render failed');
    const onError = vi.fn();
    await poller.load(
      () => Promise.resolve(1),
      () => {
        throw err;
      },
      onError
    );
    expect(onError).toHaveBeenCalledWith(err);
  });

  it('does not poll while keepPolling says no, asking when the load ends', async () => {
    const { poller, state } = makePoller(true);
    const answer = deferred<number>();
    const loading = poller.load(() => answer.promise, vi.fn(), vi.fn());
    state.keep = false;
    answer.resolve(1);
    await loading;
    expect(poller.scheduled).toBe(false);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(state.polls).toBe(0);
  });

  it('does not double-schedule: a load stops the timer, overtaken loads schedule nothing', async () => {
    const { poller, state } = makePoller();
    await poller.load(() => Promise.resolve(0), vi.fn(), vi.fn());
    expect(vi.getTimerCount()).toBe(1);

    const first = deferred<number>();
    const second = deferred<number>();
    const onLoad = vi.fn();
    const loadingFirst = poller.load(() => first.promise, onLoad, vi.fn());
    expect(poller.scheduled).toBe(false);
    const loadingSecond = poller.load(() => second.promise, onLoad, vi.fn());
    second.resolve(2);
    await loadingSecond;
    first.resolve(1);
    await loadingFirst;

    expect(onLoad.mock.calls).toEqual([[2]]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(INTERVAL);
    expect(state.polls).toBe(1);
  });

  it('drops the error of an overtaken load', async () => {
    const { poller } = makePoller();
    const first = deferred<number>();
    const onError = vi.fn();
    const loadingFirst = poller.load(() => first.promise, vi.fn(), onError);
    await poller.load(() => Promise.resolve(2), vi.fn(), vi.fn());
    first.reject(new Error('late'));
    await loadingFirst;
    expect(onError).not.toHaveBeenCalled();
  });

  it('stop clears the timer but lets a load under way schedule the next poll', async () => {
    const { poller, state } = makePoller();
    await poller.load(() => Promise.resolve(0), vi.fn(), vi.fn());
    poller.stop();
    expect(poller.scheduled).toBe(false);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(state.polls).toBe(0);

    const answer = deferred<number>();
    const onLoad = vi.fn();
    const loading = poller.load(() => answer.promise, onLoad, vi.fn());
    poller.stop();
    answer.resolve(1);
    await loading;
    expect(onLoad).toHaveBeenCalledWith(1);
    expect(poller.scheduled).toBe(true);
  });

  it('cancel drops the result of a load under way', async () => {
    const { poller } = makePoller();
    const answer = deferred<number>();
    const onLoad = vi.fn();
    const loading = poller.load(() => answer.promise, onLoad, vi.fn());
    poller.cancel();
    answer.resolve(1);
    await loading;
    expect(onLoad).not.toHaveBeenCalled();
    expect(poller.scheduled).toBe(false);
    expect(poller.disposed).toBe(false);
  });

  it('stops on dispose: no timer, no result, no more loads', async () => {
    const { poller, state } = makePoller();
    await poller.load(() => Promise.resolve(0), vi.fn(), vi.fn());
    const answer = deferred<number>();
    const onLoad = vi.fn();
    const loading = poller.load(() => answer.promise, onLoad, vi.fn());
    poller.dispose();
    expect(poller.disposed).toBe(true);
    answer.resolve(1);
    await loading;
    expect(onLoad).not.toHaveBeenCalled();

    const request = vi.fn(() => Promise.resolve(2));
    await poller.load(request, onLoad, vi.fn());
    expect(request).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(state.polls).toBe(0);
  });

  it('polls by calling back, which loads and schedules again', async () => {
    let loads = 0;
    const poller: Poller = new Poller({
      interval: INTERVAL,
      keepPolling: () => loads < 3,
      poll: () => reload()
    });
    const reload = (): Promise<void> =>
      poller.load(
        () => Promise.resolve(++loads),
        () => undefined,
        () => undefined
      );
    await reload();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(loads).toBe(3);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(loads).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});
