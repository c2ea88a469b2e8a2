import { type NotificationModel } from '../../src/common/api';
import { type StorageLike } from '../../src/notifications/helpers';

export function notification(id: number, overrides: Partial<NotificationModel> = {}): NotificationModel {
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
    webhook_detail: null,
    ...overrides
  };
}

export class MemoryStorage implements StorageLike {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}
