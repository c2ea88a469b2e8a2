import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { type MonitorModel, type ProjectModel } from '../../src/common/api';
import { CommandIDs } from '../../src/common/commands';
import { MonitorsModel } from '../../src/monitors/model';
import { type MonitorDialogs, MonitorsView } from '../../src/monitors/view';
import { fakeCommands } from '../fakecommands';
import { byTestId, installFakeDom } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';
import { breach, check, monitor } from '../monitorfixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const NOW = Date.parse('2024-05-01T15:00:00+00:00');

/** A monitor whose last breach retrained and promoted a model. */
function drift(): MonitorModel {
  return monitor('tumours-drift', {
    status: 'breach',
    metric: 'f1',
    last_breach: breach(1, { state: 'promoted', decision: 'f1 0.91 beats 0.85' })
  });
}

const HISTORY = {
  checks: [
    check(2, {
      status: 'breach',
      message: '2 columns drifted',
      summary: { rows: 240, drifted: ['age', 'income'], possible: [], issues: [] }
    }),
    check(1, { status: 'error', message: 'no model', summary: {}, report_url: null })
  ],
  breaches: [
    breach(1, {
      check_id: 2,
      state: 'promoted',
      retrain_run_id: 'r42',
      model_version: '3',
      decision: 'f1 0.91 beats 0.85',
      steps: [
        { at: '2024-05-01T14:00:05+00:00', state: 'retraining', message: 'run r42 started' },
        { at: '2024-05-01T14:10:00+00:00', state: 'registering', message: 'tumours/3' },
        { at: '2024-05-01T14:30:00+00:00', state: 'promoted', message: 'tumours/3 is live' }
      ]
    })
  ]
};

async function render(
  role: ProjectModel['my_role'],
  options: { monitors?: MonitorModel[]; dialogs?: Partial<MonitorDialogs> } = {}
) {
  const state = { monitors: options.monitors ?? [drift()] };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/monitors') {
      return jsonResponse({ monitors: state.monitors });
    }
    if (method === 'GET' && path.endsWith('/checks')) {
      return jsonResponse(HISTORY);
    }
    if (method === 'PATCH') {
      return jsonResponse({ ...state.monitors[0], ...(body as object) });
    }
    if (method === 'POST' && path.endsWith('/check')) {
      return jsonResponse({ ...state.monitors[0], status: 'running' }, 202);
    }
    if (method === 'DELETE') {
      return new Response(null, { status: 204 });
    }
    return undefined;
  });
  const model = new MonitorsModel({ client: fake.client });
  const { commands, execute } = fakeCommands([CommandIDs.openRun]);
  const dialogs: MonitorDialogs = {
    create: async () => null,
    confirmDelete: async () => true,
    ...options.dialogs
  };
  const view = new MonitorsView({
    model,
    client: fake.client,
    commands,
    dialogs,
    now: () => NOW
  });
  model.setActive(true);
  model.setVisible(true);
  model.setProject(project('churn', { my_role: role }), ALICE);
  await vi.waitFor(() => {
    expect(model.history).not.toBeNull();
  });
  const one = (testid: string) => byTestId(view.node, testid)[0];
  const dispose = () => {
    view.dispose();
    model.dispose();
  };
  return { ...fake, model, view, node: view.node, one, execute, dispose };
}

describe('MonitorsView', () => {
  it('shows each monitor: endpoint, status, last and next check, last breach', async () => {
    const { node, one, dispose } = await render('viewer');
    const [row] = byTestId(node, 'scalelab-monitor');
    expect(row.dataset.monitor).toBe('tumours-drift');
    expect(row.dataset.status).toBe('breach');
    expect(one('scalelab-monitor-endpoint').textContent).toBe('tumours');
    expect(one('scalelab-monitor-status').textContent).toBe('breach');
    expect(one('scalelab-monitor-last-check').textContent).toBe('1 hour ago');
    expect(one('scalelab-monitor-next-check').textContent).toBe('in 1 hour');
    expect(one('scalelab-monitor-last-breach').textContent).toBe('promoted: f1 0.91 beats 0.85');
    dispose();
  });

  it('shows the checks of the selected monitor, with their reports', async () => {
    const { node, dispose } = await render('viewer');
    const checks = byTestId(node, 'scalelab-monitor-check');
    expect(checks.map(c => c.dataset.status)).toEqual(['breach', 'error']);
    expect(byTestId(checks[0], 'scalelab-monitor-check-rows')[0].textContent).toBe('240');
    expect(byTestId(checks[0], 'scalelab-monitor-check-drifted')[0].textContent).toBe(
      'age, income'
    );
    const [report] = byTestId(checks[0], 'scalelab-monitor-check-report');
    expect(report.getAttribute('href')).toBe(HISTORY.checks[0].report_url);
    expect(report.getAttribute('target')).toBe('_blank');
    expect(byTestId(checks[1], 'scalelab-monitor-check-report')).toHaveLength(0);
    expect(byTestId(checks[1], 'scalelab-monitor-check-drifted')[0].textContent).toBe('—');
    dispose();
  });

  it('shows every step of a breach, and opens its retrain run', async () => {
    const { node, one, execute, dispose } = await render('viewer');
    const [item] = byTestId(node, 'scalelab-monitor-breach');
    expect(item.dataset.state).toBe('promoted');
    expect(one('scalelab-monitor-breach-state').textContent).toBe('promoted');
    expect(one('scalelab-monitor-breach-facts').textContent).toBe(
      'retrain run r42 · model version 3 · decision: f1 0.91 beats 0.85'
    );
    const steps = byTestId(item, 'scalelab-monitor-breach-step');
    expect(steps.map(s => s.dataset.state)).toEqual(['retraining', 'registering', 'promoted']);
    expect(Array.from(steps[0].querySelectorAll('td')).map(td => td.textContent)).toEqual([
      '2024-05-01 14:00:05',
      'retraining',
      'run r42 started'
    ]);
    one('scalelab-monitor-breach-run').click();
    expect(execute).toHaveBeenCalledWith(CommandIDs.openRun, { project: 'churn', run: 'r42' });
    dispose();
  });

  it('hides the deployer actions from a viewer', async () => {
    const { node, one, dispose } = await render('viewer');
    expect(byTestId(node, 'scalelab-monitor-actions')).toHaveLength(0);
    expect(one('scalelab-monitors-new').hidden).toBe(true);
    dispose();
  });

  it('checks now, pauses and deletes once confirmed', async () => {
    const confirmDelete = vi.fn<MonitorDialogs['confirmDelete']>(async () => false);
    const { one, model, requests, dispose } = await render('deployer', {
      dialogs: { confirmDelete }
    });
    expect(one('scalelab-monitors-new').hidden).toBe(false);
    one('scalelab-monitor-check').click();
    await vi.waitFor(() => {
      expect(requests()).toContain('POST api/projects/churn/monitors/tumours-drift/check');
      expect(model.isBusy('tumours-drift')).toBe(false);
    });
    one('scalelab-monitor-pause').click();
    await vi.waitFor(() => {
      expect(model.monitors[0].paused).toBe(true);
    });
    // Paused: resume instead, and no check until then (the service refuses it).
    expect((one('scalelab-monitor-check') as HTMLButtonElement).disabled).toBe(true);
    expect(one('scalelab-monitor-status').textContent).toBe('paused');
    expect(one('scalelab-monitor-next-check').textContent).toBe('paused');
    expect(one('scalelab-monitor-resume')).toBeDefined();
    one('scalelab-monitor-delete').click();
    await vi.waitFor(() => {
      expect(confirmDelete).toHaveBeenCalledTimes(1);
    });
    expect(requests()).not.toContain('DELETE api/projects/churn/monitors/tumours-drift');
    confirmDelete.mockResolvedValue(true);
    one('scalelab-monitor-delete').click();
    await vi.waitFor(() => {
      expect(requests()).toContain('DELETE api/projects/churn/monitors/tumours-drift');
    });
    dispose();
  });

  it('shows a monitor just created through the dialog, selected', async () => {
    const created = monitor('new-one', { status: 'new', last_check_at: null });
    const create = vi.fn<MonitorDialogs['create']>(async () => created);
    const { one, model, dispose } = await render('deployer', { dialogs: { create } });
    one('scalelab-monitors-new').click();
    await vi.waitFor(() => {
      expect(model.selected).toBe('new-one');
    });
    expect(create).toHaveBeenCalledWith('churn');
    dispose();
  });

  it('says when there is no monitor yet', async () => {
    const fake = routed((method, path) =>
      path === 'api/projects/churn/monitors' ? jsonResponse({ monitors: [] }) : undefined
    );
    const model = new MonitorsModel({ client: fake.client });
    const view = new MonitorsView({
      model,
      client: fake.client,
      commands: fakeCommands().commands
    });
    model.setActive(true);
    model.setVisible(true);
    model.setProject(project('churn', { my_role: 'viewer' }), ALICE);
    await vi.waitFor(() => {
      expect(model.loaded).toBe(true);
    });
    const status = byTestId(view.node, 'scalelab-monitors-status')[0];
    expect(status.textContent).toBe('No monitors yet: deployers set them on endpoints.');
    expect(byTestId(view.node, 'scalelab-monitors')[0].hidden).toBe(true);
    expect(byTestId(view.node, 'scalelab-monitor-detail')[0].hidden).toBe(true);
    view.dispose();
    model.dispose();
  });
});
