import { describe, expect, it } from 'vitest';

import {
  breachStateClass,
  breachStateLabel,
  canDeploy,
  checkFindings,
  driftedLabel,
  formatUntil,
  lastBreachSummary,
  loopRunning,
  monitorClass,
  monitorSettings,
  nextCheckLabel,
  readMonitorForm,
  reportLink,
  sortMonitors,
  statusClass,
  statusLabel,
  upsertMonitor,
  watched
} from '../../src/monitors/helpers';
import { breach, check, monitor } from '../monitorfixtures';

const NOW = Date.parse('2024-05-01T15:00:00+00:00');

describe('monitor helpers', () => {
  it('names what a monitor watches: an endpoint, or a pipeline output', () => {
    expect(watched(monitor('a'))).toBe('tumours');
    const dataset = { target: 'pipeline.yaml', output: 'data/features.csv', reference_run: null };
    expect(watched(monitor('b', { endpoint: null, dataset }))).toBe(
      'data/features.csv (pipeline.yaml)'
    );
  });

  it('orders monitors by name, an update in its place', () => {
    const sorted = sortMonitors([monitor('b'), monitor('a')]);
    expect(sorted.map(m => m.name)).toEqual(['a', 'b']);
    const updated = upsertMonitor(sorted, monitor('a', { status: 'breach' }));
    expect(updated.map(m => [m.name, m.status])).toEqual([
      ['a', 'breach'],
      ['b', 'ok']
    ]);
    expect(upsertMonitor(sorted, monitor('0')).map(m => m.name)).toEqual(['0', 'a', 'b']);
  });

  it('lets deployers, owners and hub admins act', () => {
    expect(canDeploy({ my_role: 'deployer' }, null)).toBe(true);
    expect(canDeploy({ my_role: 'editor' }, null)).toBe(false);
    expect(canDeploy({ my_role: null }, { admin: true })).toBe(true);
  });

  it('styles each status as the runs do; paused shows instead of the last status', () => {
    expect(statusClass('ok')).toBe('jp-mod-succeeded');
    expect(statusClass('running')).toBe('jp-mod-running');
    expect(statusClass('new')).toBe('jp-mod-queued');
    expect(statusClass('breach')).toBe('jp-mod-failed');
    expect(statusClass('error')).toBe('jp-mod-failed');
    expect(statusClass('too few rows')).toBe('jp-mod-skipped');
    expect(statusLabel(monitor('m', { status: 'breach' }))).toBe('breach');
    expect(statusLabel(monitor('m', { status: 'breach', paused: true }))).toBe('paused');
    expect(monitorClass(monitor('m', { status: 'breach', paused: true }))).toBe('jp-mod-skipped');
  });

  it('says where a breach’s loop is', () => {
    expect(loopRunning('evaluating')).toBe(true);
    expect(loopRunning('promoted')).toBe(false);
    expect(breachStateLabel('retraining')).toBe('retraining…');
    expect(breachStateLabel('kept')).toBe('kept live model');
    expect(breachStateLabel('promoted')).toBe('promoted');
    expect(breachStateClass('staging')).toBe('jp-mod-running');
    expect(breachStateClass('promoted')).toBe('jp-mod-succeeded');
    expect(breachStateClass('failed')).toBe('jp-mod-failed');
    expect(breachStateClass('alerted')).toBe('jp-mod-cancelled');
    expect(breachStateClass('kept')).toBe('jp-mod-skipped');
  });

  it('sums up the last breach: its state and decision', () => {
    expect(lastBreachSummary(null)).toBe('—');
    expect(lastBreachSummary(breach(1))).toBe('alerted');
    expect(
      lastBreachSummary(breach(1, { state: 'promoted', decision: 'f1 0.91 beats 0.85 by 0.06' }))
    ).toBe('promoted: f1 0.91 beats 0.85 by 0.06');
  });

  it('says when the next check is, unless paused', () => {
    expect(formatUntil('2024-05-01T15:20:00+00:00', NOW)).toBe('in 20 min');
    expect(formatUntil('2024-05-01T15:00:30+00:00', NOW)).toBe('in 1 min');
    expect(formatUntil('2024-05-01T17:30:00+00:00', NOW)).toBe('in 2 hours');
    expect(formatUntil('2024-05-04T15:00:00+00:00', NOW)).toBe('in 3 days');
    expect(formatUntil('2024-05-01T14:59:00+00:00', NOW)).toBe('due');
    expect(formatUntil('soon', NOW)).toBe('soon');
    expect(nextCheckLabel(monitor('m'), NOW)).toBe('in 1 hour');
    expect(nextCheckLabel(monitor('m', { paused: true }), NOW)).toBe('paused');
    expect(nextCheckLabel(monitor('m', { next_check_at: null }), NOW)).toBe('—');
  });

  it('reads what a check found from its summary, whatever is missing', () => {
    const found = checkFindings(
      check(1, {
        summary: {
          rows: 240,
          drifted: ['age', 'income'],
          possible: ['zip'],
          issues: [{ column: 'age', kind: 'missing', detail: '12%' }, 'junk'],
          score: { metric: 'f1', value: 0.912345, labelled: 80 }
        }
      })
    );
    expect(found).toEqual({
      rows: 240,
      drifted: ['age', 'income'],
      possible: ['zip'],
      issues: ['age: missing'],
      score: 'f1 0.9123'
    });
    expect(driftedLabel(found)).toBe('age, income (possible: zip)');
    expect(checkFindings(check(2, { status: 'error', summary: {} }))).toEqual({
      rows: null,
      drifted: [],
      possible: [],
      issues: [],
      score: null
    });
    expect(driftedLabel({ drifted: [], possible: [] })).toBe('none');
    expect(checkFindings(check(3, { summary: { score: { metric: 'mae', value: null } } })).score).toBe(
      'mae —'
    );
  });

  it('links a report only when it is an http(s) URL', () => {
    expect(reportLink(check(7))).toBe(
      'https://hub.example.org/services/scalelab/api/projects/churn/monitors/m/checks/7/report'
    );
    expect(reportLink(check(7, { report_url: null }))).toBeNull();
    expect(reportLink(check(7, { report_url: 'javascript:alert(1)' }))).toBeNull();
  });

  it('says what a monitor watches and what a breach does', () => {
    expect(monitorSettings(monitor('m'))).toBe(
      'checks 0 * * * * (UTC) · 24 h window · a breach at 1 drifted column · alerts only'
    );
    expect(
      monitorSettings(
        monitor('m', {
          metric: 'f1',
          score_limit: 0.8,
          drifted_columns: 2,
          retrain: { target: 'train.ipynb', parameters: {}, model_name: 'tumours', margin: 0 }
        })
      )
    ).toBe(
      'checks 0 * * * * (UTC) · 24 h window · a breach at 2 drifted columns · ' +
        'tracks f1 (limit 0.8) · retrains train.ipynb into tumours'
    );
  });

  it('reads the new monitor form', () => {
    const raw = { name: 'tumours-drift', endpoint: 'tumours', cron: ' 0  */6 * * * ', metric: '' };
    expect(readMonitorForm(raw)).toEqual({
      value: { name: 'tumours-drift', endpoint: 'tumours', cron: '0 */6 * * *', metric: null },
      error: null
    });
    expect(readMonitorForm({ ...raw, metric: 'f1' }).value?.metric).toBe('f1');
    expect(readMonitorForm({ ...raw, name: 'Bad Name' }).error).toMatch(/lowercase/);
    expect(readMonitorForm({ ...raw, endpoint: '' }).error).toMatch(/endpoint/);
    expect(readMonitorForm({ ...raw, cron: '0 * * *' }).error).toMatch(/five cron fields/);
  });
});
