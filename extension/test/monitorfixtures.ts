import {
  type MonitorBreachModel,
  type MonitorCheckModel,
  type MonitorModel
} from '../src/common/api';

export function monitor(name: string, overrides: Partial<MonitorModel> = {}): MonitorModel {
  return {
    name,
    endpoint: 'tumours',
    dataset: null,
    cron: '0 * * * *',
    timezone: 'UTC',
    window_hours: 24,
    thresholds: {},
    drifted_columns: 1,
    min_rows: 100,
    metric: null,
    score_limit: null,
    retrain: null,
    webhook_url: null,
    paused: false,
    status: 'ok',
    next_check_at: '2024-05-01T16:00:00+00:00',
    last_check_at: '2024-05-01T14:00:00+00:00',
    last_breach: null,
    created_by: 'alice',
    created_at: '2024-05-01T12:00:00+00:00',
    ...overrides
  };
}

export function check(id: number, overrides: Partial<MonitorCheckModel> = {}): MonitorCheckModel {
  return {
    id,
    due: '2024-05-01T14:00:00+00:00',
    started_at: '2024-05-01T14:00:00+00:00',
    finished_at: '2024-05-01T14:00:05+00:00',
    status: 'ok',
    message: 'no drift',
    summary: { rows: 240, requests: 120, drifted: [], possible: [], issues: [] },
    breach_id: null,
    report_url: `https://hub.example.org/services/scalelab/api/projects/churn/monitors/m/checks/${id}/report`,
    ...overrides
  };
}

export function breach(id: number, overrides: Partial<MonitorBreachModel> = {}): MonitorBreachModel {
  return {
    id,
    check_id: id,
    opened_at: '2024-05-01T14:00:05+00:00',
    closed_at: null,
    reason: '2 columns drifted: age, income',
    state: 'alerted',
    retrain_run_id: null,
    model_version: null,
    decision: '',
    steps: [{ at: '2024-05-01T14:00:05+00:00', state: 'alerted', message: 'breach opened' }],
    ...overrides
  };
}
