import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type NotificationModel } from '../src/api';
import {
  diffLinkFromSearch,
  diffLinkFromUrl,
  diffTitle,
  LAST_NOTIFICATION_KEY,
  MAX_SHOWN,
  NotificationPoller,
  notificationText,
  outputPathFromLink,
  readLastId,
  type StorageLike,
  withoutDiffQuery
} from '../src/notifyhelpers';

const PUBLIC = 'https://lab.example.com';

function notification(id: number, overrides: Partial<NotificationModel> = {}): NotificationModel {
  return {
    id,
    project: 'churn',
    at: '2024-05-02T04:10:00Z',
    level: 'error',
    title: `Scheduled run failed: nightly ${id}`,
    message: '',
    links: {},
    run_id: null,
    schedule_id: 7,
    webhook: '',
    ...overrides
  };
}

class MemoryStorage implements StorageLike {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('notification links', () => {
  it('reads the output path from a user-redirect tree link', () => {
    expect(
      outputPathFromLink(
        `${PUBLIC}/hub/user-redirect/lab/tree/runs/churn/20240502-040000-ab12/train.ipynb`
      )
    ).toBe('runs/churn/20240502-040000-ab12/train.ipynb');
  });

  it('decodes the path and keeps sub folders', () => {
    expect(
      outputPathFromLink(
        `${PUBLIC}/prefix/hub/user-redirect/lab/tree/runs/my%20proj/r1/steps/prepare%20data.ipynb`
      )
    ).toBe('runs/my proj/r1/steps/prepare data.ipynb');
    expect(outputPathFromLink('/user/alice/lab/tree/runs/churn/r1/a.ipynb')).toBe(
      'runs/churn/r1/a.ipynb'
    );
  });

  it('refuses other links', () => {
    expect(outputPathFromLink(undefined)).toBeNull();
    expect(outputPathFromLink('')).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/hub/user-redirect/lab?x=1`)).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/hub/user-redirect/lab/tree/`)).toBeNull();
    // `URL` resolves dot segments, even encoded ones: no way out of the tree.
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/%2E%2E/x.ipynb`)).toBe('x.ipynb');
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/a%2F..%2F..%2Fx.ipynb`)).toBeNull();
    expect(outputPathFromLink(`${PUBLIC}/lab/tree/runs/%E0%A4%A/x.ipynb`)).toBeNull();
  });

  it('reads the diff from a link or a query string', () => {
    const url =
      `${PUBLIC}/hub/user-redirect/lab?scalelab-project=churn&scalelab-run=r2` +
      '&scalelab-compare=r1&scalelab-step=train+model';
    const link = { project: 'churn', run: 'r2', compare: 'r1', step: 'train model' };
    expect(diffLinkFromUrl(url)).toEqual(link);
    expect(diffLinkFromSearch(new URL(url).search)).toEqual(link);
    expect(diffLinkFromSearch('?scalelab-project=a%20b&scalelab-run=r&scalelab-compare=c&scalelab-step=s%2Fx')).toEqual({
      project: 'a b',
      run: 'r',
      compare: 'c',
      step: 's/x'
    });
    expect(diffTitle(link)).toBe('Diff train model: r1 → r2');
  });

  it('needs all four diff parameters', () => {
    expect(diffLinkFromSearch('')).toBeNull();
    expect(diffLinkFromSearch('?scalelab-project=churn&scalelab-run=r2&scalelab-step=s')).toBeNull();
    expect(diffLinkFromUrl(undefined)).toBeNull();
    expect(diffLinkFromUrl(`${PUBLIC}/hub/user-redirect/lab/tree/runs/a.ipynb`)).toBeNull();
  });

  it('drops the diff parameters from a query string', () => {
    expect(
      withoutDiffQuery(
        '?scalelab-project=churn&scalelab-run=r2&scalelab-compare=r1&scalelab-step=s'
      )
    ).toBe('');
    expect(withoutDiffQuery('?reset&scalelab-run=r2')).toBe('?reset=');
    expect(withoutDiffQuery('')).toBe('');
  });

  it('puts the title first in the toast text', () => {
    expect(notificationText(notification(1, { title: 'T', message: ' m ' }))).toBe('T: m');
    expect(notificationText(notification(1, { title: 'T' }))).toBe('T');
  });
});

describe('NotificationPoller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(storage: StorageLike | null, answers: NotificationModel[][]) {
    const listNotifications = vi.fn(async (after?: number | null) => ({
      notifications: (answers.shift() ?? []).filter(
        n => after === null || after === undefined || n.id > after
      )
    }));
    const shown: number[][] = [];
    const skippedCounts: number[] = [];
    const poller = new NotificationPoller({
      client: { listNotifications },
      storage,
      show: (list, skipped) => {
        shown.push(list.map(n => n.id));
        skippedCounts.push(skipped);
      }
    });
    return { poller, listNotifications, shown, skippedCounts };
  }

  it('the first call only records the newest id', async () => {
    const storage = new MemoryStorage();
    const { poller, listNotifications, shown } = setup(storage, [
      [notification(5), notification(4)],
      [notification(7), notification(6)]
    ]);
    await poller.poll();
    expect(listNotifications).toHaveBeenLastCalledWith(null);
    expect(shown).toEqual([]);
    expect(storage.getItem(LAST_NOTIFICATION_KEY)).toBe('5');
    await poller.poll();
    expect(listNotifications).toHaveBeenLastCalledWith(5);
    expect(shown).toEqual([[6, 7]]);
    expect(storage.getItem(LAST_NOTIFICATION_KEY)).toBe('7');
  });

  it('records 0 when there are none yet, then shows everything new', async () => {
    const storage = new MemoryStorage();
    const { poller, listNotifications, shown } = setup(storage, [[], [notification(1)]]);
    await poller.poll();
    expect(storage.getItem(LAST_NOTIFICATION_KEY)).toBe('0');
    await poller.poll();
    expect(listNotifications).toHaveBeenLastCalledWith(0);
    expect(shown).toEqual([[1]]);
  });

  it('after a reload, shows what came in since the stored id', async () => {
    const storage = new MemoryStorage();
    storage.setItem(LAST_NOTIFICATION_KEY, '10');
    const { poller, listNotifications, shown } = setup(storage, [
      [notification(12), notification(11), notification(10)]
    ]);
    expect(poller.lastId).toBe(10);
    await poller.poll();
    expect(listNotifications).toHaveBeenCalledWith(10);
    expect(shown).toEqual([[11, 12]]);
  });

  it('does not show again what another tab showed', async () => {
    const storage = new MemoryStorage();
    storage.setItem(LAST_NOTIFICATION_KEY, '3');
    const { poller, listNotifications, shown } = setup(storage, [[notification(4)]]);
    // Another tab got further meanwhile.
    storage.setItem(LAST_NOTIFICATION_KEY, '4');
    await poller.poll();
    expect(listNotifications).toHaveBeenCalledWith(4);
    expect(shown).toEqual([]);
  });

  it('shows at most the newest few', async () => {
    const storage = new MemoryStorage();
    storage.setItem(LAST_NOTIFICATION_KEY, '0');
    const many = Array.from({ length: MAX_SHOWN + 3 }, (_, i) => notification(i + 1)).reverse();
    const { poller, shown, skippedCounts } = setup(storage, [many]);
    await poller.poll();
    expect(shown).toEqual([[4, 5, 6, 7, 8]]);
    expect(skippedCounts).toEqual([3]);
  });

  it('works without storage', async () => {
    const { poller, listNotifications, shown } = setup(null, [
      [notification(2)],
      [notification(3)]
    ]);
    await poller.poll();
    await poller.poll();
    expect(listNotifications.mock.calls).toEqual([[null], [2]]);
    expect(shown).toEqual([[3]]);
  });

  it('ignores a broken stored id', () => {
    const storage = new MemoryStorage();
    storage.setItem(LAST_NOTIFICATION_KEY, 'abc');
    expect(readLastId(storage)).toBeNull();
    expect(readLastId(null)).toBeNull();
  });

  it('polls every 10 s until stopped, and keeps going after errors', async () => {
    const storage = new MemoryStorage();
    const { poller, listNotifications } = setup(storage, []);
    listNotifications
      .mockRejectedValueOnce(new Error('offline'))
      .mockRejectedValueOnce(new Error('still offline'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(listNotifications).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10000);
    expect(listNotifications).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10000);
    expect(listNotifications).toHaveBeenCalledTimes(3);
    // Warned once for the two failures in a row.
    expect(warn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10000);
    expect(listNotifications).toHaveBeenCalledTimes(4);
    poller.stop();
    await vi.advanceTimersByTimeAsync(30000);
    expect(listNotifications).toHaveBeenCalledTimes(4);
    warn.mockRestore();
  });
});
