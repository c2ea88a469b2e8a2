import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type MonitorHistory, type MonitorModel } from '../../src/common/api';
import { errorMessage } from '../../src/common/helpers';
import { MonitorsModel } from '../../src/monitors/model';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';
import { breach, check, monitor } from '../monitorfixtures';

const INTERVAL = 1000;
const LIST = 'GET api/projects/churn/monitors';

function setup(monitors: MonitorModel[]) {
  const state = {
    monitors,
    history: {} as Record<string, MonitorHistory>,
    fail: false,
    failAction: false
  };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/monitors') {
      return state.fail
        ? jsonResponse({ status: 503, message: 'the service is starting' }, 503)
        : jsonResponse({ monitors: state.monitors });
    }
    const checks = /^api\/projects\/churn\/monitors\/([^/]+)\/checks$/.exec(path);
    if (method === 'GET' && checks) {
      return jsonResponse(state.history[checks[1]] ?? { checks: [], breaches: [] });
    }
    const action = /^api\/projects\/churn\/monitors\/([^/]+)(\/check)?$/.exec(path);
    if (action && method !== 'GET') {
      if (state.failAction) {
        return jsonResponse({ status: 409, message: 'monitor is paused; resume it first' }, 409);
      }
      const name = action[1];
      if (method === 'DELETE') {
        state.monitors = state.monitors.filter(m => m.name !== name);
        return new Response(null, { status: 204 });
      }
      const found = state.monitors.find(m => m.name === name)!;
      const changed =
        method === 'PATCH'
          ? { ...found, ...(body as Partial<MonitorModel>) }
          : { ...found, status: 'running' };
      state.monitors = state.monitors.map(m => (m.name === name ? changed : m));
      return jsonResponse(changed, action[2] ? 202 : 200);
    }
    return undefined;
  });
  const model = new MonitorsModel({ client: fake.client, interval: INTERVAL });
  const listCalls = () => fake.requests().filter(r => r === LIST).length;
  const historyCalls = (name: string) =>
    fake.requests().filter(r => r === `GET api/projects/churn/monitors/${name}/checks`).length;
  return { ...fake, model, state, listCalls, historyCalls };
}

async function shown(model: MonitorsModel, role: 'viewer' | 'deployer' = 'deployer') {
  model.setActive(true);
  model.setVisible(true);
  model.setProject(project('churn', { my_role: role }), ALICE);
  await vi.advanceTimersByTimeAsync(0);
}

describe('MonitorsModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads once shown, by name, and selects the first with its checks and breaches', async () => {
    const { model, state, listCalls } = setup([monitor('zeta'), monitor('alpha')]);
    state.history.alpha = { checks: [check(2), check(1)], breaches: [breach(1)] };
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(0); // not shown yet
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(model.monitors.map(m => m.name)).toEqual(['alpha', 'zeta']);
    expect(model.selectedMonitor?.name).toBe('alpha');
    expect(model.history?.checks.map(c => c.id)).toEqual([2, 1]);
    expect(model.history?.breaches.map(b => b.id)).toEqual([1]);
    model.dispose();
  });

  it('refreshes the monitors and the history while shown, not once the tab is left', async () => {
    const { model, listCalls, historyCalls } = setup([monitor('alpha')]);
    await shown(model);
    expect([listCalls(), historyCalls('alpha')]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect([listCalls(), historyCalls('alpha')]).toEqual([2, 2]);
    model.setVisible(false);
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(listCalls()).toBe(2);
    model.dispose();
  });

  it('loads the history of the monitor selected', async () => {
    const { model, state } = setup([monitor('alpha'), monitor('beta')]);
    state.history.beta = { checks: [check(5, { status: 'breach' })], breaches: [] };
    await shown(model);
    model.select('beta');
    expect(model.history).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(model.history?.checks.map(c => c.status)).toEqual(['breach']);
    model.dispose();
  });

  it('only lets deployers and up act', async () => {
    const { model } = setup([monitor('alpha')]);
    await shown(model, 'viewer');
    expect(model.canDeploy).toBe(false);
    model.setProject(project('churn', { my_role: 'owner' }), ALICE);
    expect(model.canDeploy).toBe(true);
    model.dispose();
  });

  it('checks now, pauses, resumes and deletes, showing the answers', async () => {
    const { model, requests, historyCalls } = setup([monitor('alpha'), monitor('beta')]);
    await shown(model);
    expect(await model.checkNow('alpha')).toBe(true);
    expect(requests()).toContain('POST api/projects/churn/monitors/alpha/check');
    expect(model.monitors[0].status).toBe('running');
    await vi.advanceTimersByTimeAsync(0);
    expect(historyCalls('alpha')).toBe(2); // the check shows at once
    expect(await model.setPaused('alpha', true)).toBe(true);
    expect(requests()).toContain('PATCH api/projects/churn/monitors/alpha');
    expect(model.monitors[0].paused).toBe(true);
    expect(await model.setPaused('alpha', false)).toBe(true);
    expect(model.monitors[0].paused).toBe(false);
    expect(await model.remove('alpha')).toBe(true);
    expect(requests()).toContain('DELETE api/projects/churn/monitors/alpha');
    expect(model.monitors.map(m => m.name)).toEqual(['beta']);
    expect(model.selected).toBe('beta');
    model.dispose();
  });

  it('keeps a refused action as the action error, until the next one', async () => {
    const { model, state } = setup([monitor('alpha', { paused: true })]);
    await shown(model);
    state.failAction = true;
    expect(await model.checkNow('alpha')).toBe(false);
    expect(model.actionError).toMatchObject({ action: 'check', monitor: 'alpha' });
    expect(errorMessage(model.actionError?.reason)).toBe('monitor is paused; resume it first');
    expect(model.isBusy('alpha')).toBe(false);
    state.failAction = false;
    await model.setPaused('alpha', false);
    expect(model.actionError).toBeNull();
    model.dispose();
  });

  it('keeps the monitors when a load fails', async () => {
    const { model, state } = setup([monitor('alpha')]);
    await shown(model);
    state.fail = true;
    await model.reload();
    expect(errorMessage(model.error)).toBe('the service is starting');
    expect(model.monitors.map(m => m.name)).toEqual(['alpha']);
    model.dispose();
  });

  it('shows a monitor just created, selected', async () => {
    const { model } = setup([monitor('alpha')]);
    await shown(model);
    model.replace(monitor('new-one', { status: 'new', last_check_at: null }));
    expect(model.monitors.map(m => m.name)).toEqual(['alpha', 'new-one']);
    expect(model.selected).toBe('new-one');
    model.dispose();
  });

  it('forgets the selection and errors of another project', async () => {
    const { model, state } = setup([monitor('alpha')]);
    await shown(model);
    state.failAction = true;
    await model.checkNow('alpha');
    model.setProject(project('other'), ALICE);
    expect(model.selected).toBeNull();
    expect(model.actionError).toBeNull();
    expect(model.history).toBeNull();
    expect(model.monitors).toEqual([]);
    model.dispose();
  });
});
