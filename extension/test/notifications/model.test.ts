import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type NotificationModel } from '../../src/common/api';
import { LAST_NOTIFICATION_KEY, MAX_SHOWN, readLastId, type StorageLike } from '../../src/notifications/helpers';
import { NotificationsModel } from '../../src/notifications/model';
import { MemoryStorage, notification } from './fixtures';

describe('NotificationsModel', () => {
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
    const poller = new NotificationsModel({ client: { listNotifications }, storage });
    poller.received.connect((sender, { notifications, skipped }) => {
      shown.push(notifications.map(n => n.id));
      skippedCounts.push(skipped);
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
    poller.dispose();
    warn.mockRestore();
  });

  it('takes a new interval', async () => {
    const { poller, listNotifications } = setup(new MemoryStorage(), []);
    poller.interval = 2000;
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(listNotifications).toHaveBeenCalledTimes(2);
    poller.dispose();
    await vi.advanceTimersByTimeAsync(10000);
    expect(listNotifications).toHaveBeenCalledTimes(2);
  });
});
