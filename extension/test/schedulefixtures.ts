import { type ScheduleModel } from '../src/common/api';

/** A schedule as the service returns it. */
export const SCHEDULE: ScheduleModel = {
  id: 7,
  project: 'churn',
  name: 'nightly',
  target: 'train.ipynb',
  parameters: { epochs: 3 },
  cron: '0 6 * * *',
  timezone: 'Europe/Paris',
  timeout: null,
  retries: 0,
  fresh: true,
  misfire: 'run_once',
  misfire_deadline: 3600,
  concurrency: 'forbid',
  notify: 'failure',
  webhook: null,
  webhook_url: null,
  paused: false,
  next_fire_at: '2024-05-02T04:00:00Z',
  next_fire_times: ['2024-05-02T04:00:00Z'],
  last_fire_at: null,
  last_run_id: null,
  last_status: null,
  created_at: '2024-05-01T12:00:00Z',
  created_by: 'alice',
  updated_at: '2024-05-01T12:00:00Z'
};

/** {@link SCHEDULE} with some fields changed. */
export function schedule(overrides: Partial<ScheduleModel> = {}): ScheduleModel {
  return { ...SCHEDULE, ...overrides };
}
