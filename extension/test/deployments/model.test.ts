import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type DeploymentEventModel, type EndpointModel } from '../../src/common/api';
import { errorMessage } from '../../src/common/helpers';
import { DeploymentsModel } from '../../src/deployments/model';
import { deployed, deploymentEvent, endpoint } from '../deploymentfixtures';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';

const INTERVAL = 1000;
const LIST = 'GET api/projects/churn/deployments';

function setup(endpoints: EndpointModel[]) {
  const state = {
    endpoints,
    events: {} as Record<string, DeploymentEventModel[]>,
    fail: false,
    failAction: false
  };
  const fake = routed((method, path) => {
    if (method === 'GET' && path === 'api/projects/churn/deployments') {
      return state.fail
        ? jsonResponse({ status: 503, message: 'the service is starting' }, 503)
        : jsonResponse({ deployments: state.endpoints });
    }
    const events = /^api\/projects\/churn\/deployments\/([^/]+)\/events\?limit=\d+$/.exec(path);
    if (method === 'GET' && events) {
      return jsonResponse({ events: state.events[events[1]] ?? [] });
    }
    const action = /^api\/projects\/churn\/deployments\/([^/]+)(?:\/(promote|rollback))?$/.exec(
      path
    );
    if (action && (method === 'POST' || method === 'DELETE')) {
      if (state.failAction) {
        return jsonResponse({ status: 409, message: 'no new version to promote' }, 409);
      }
      const name = action[1];
      if (method === 'DELETE') {
        state.endpoints = state.endpoints.filter(e => e.name !== name);
        return new Response(null, { status: 204 });
      }
      const found = state.endpoints.find(e => e.name === name);
      const changed = {
        ...found!,
        state: 'live',
        blue: action[2] === 'promote' ? found!.green : found!.blue,
        green: null,
        green_share: 0
      };
      state.endpoints = state.endpoints.map(e => (e.name === name ? changed : e));
      return jsonResponse(changed, action[2] === 'rollback' ? 202 : 200);
    }
    return undefined;
  });
  const model = new DeploymentsModel({ client: fake.client, interval: INTERVAL });
  const listCalls = () => fake.requests().filter(r => r === LIST).length;
  const eventCalls = (name: string) =>
    fake.requests().filter(r => r.startsWith(`GET api/projects/churn/deployments/${name}/events`))
      .length;
  return { ...fake, model, state, listCalls, eventCalls };
}

async function shown(model: DeploymentsModel, role: 'viewer' | 'deployer' = 'deployer') {
  model.setActive(true);
  model.setVisible(true);
  model.setProject(project('churn', { my_role: role }), ALICE);
  await vi.advanceTimersByTimeAsync(0);
}

describe('DeploymentsModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads once shown, by name, and selects the first with its history', async () => {
    const { model, state, listCalls } = setup([endpoint('zeta'), endpoint('alpha')]);
    state.events.alpha = [deploymentEvent(1, 'deploy'), deploymentEvent(2, 'ready')];
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(0); // not shown yet
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(model.endpoints.map(e => e.name)).toEqual(['alpha', 'zeta']);
    expect(model.selected).toBe('alpha');
    expect(model.selectedEndpoint?.name).toBe('alpha');
    expect(model.events?.map(e => e.kind)).toEqual(['ready', 'deploy']);
    model.dispose();
  });

  it('refreshes the endpoints and the history while shown, not once the tab is left', async () => {
    const { model, listCalls, eventCalls } = setup([endpoint('alpha')]);
    await shown(model);
    expect(listCalls()).toBe(1);
    expect(eventCalls('alpha')).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(listCalls()).toBe(2);
    expect(eventCalls('alpha')).toBe(2);
    model.setVisible(false);
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(listCalls()).toBe(2);
    model.dispose();
  });

  it('loads the history of the endpoint selected', async () => {
    const { model, state } = setup([endpoint('alpha'), endpoint('beta')]);
    state.events.beta = [deploymentEvent(5, 'scale')];
    await shown(model);
    model.select('beta');
    expect(model.events).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(model.events?.map(e => e.kind)).toEqual(['scale']);
    model.dispose();
  });

  it('only lets deployers and up act', async () => {
    const { model } = setup([endpoint('alpha')]);
    await shown(model, 'viewer');
    expect(model.canDeploy).toBe(false);
    model.setProject(project('churn', { my_role: 'deployer' }), ALICE);
    expect(model.canDeploy).toBe(true);
    model.dispose();
  });

  it('promotes, rolls back and removes, showing the answers', async () => {
    const { model, requests } = setup([
      endpoint('alpha', { state: 'baking', green: deployed('churn', '2'), green_share: 10 }),
      endpoint('beta')
    ]);
    await shown(model);
    expect(await model.promote('alpha')).toBe(true);
    expect(requests()).toContain('POST api/projects/churn/deployments/alpha/promote');
    expect(model.endpoints[0].blue?.version).toBe('2');
    expect(model.endpoints[0].green).toBeNull();
    expect(await model.rollback('alpha')).toBe(true);
    expect(requests()).toContain('POST api/projects/churn/deployments/alpha/rollback');
    expect(await model.remove('alpha')).toBe(true);
    expect(requests()).toContain('DELETE api/projects/churn/deployments/alpha');
    expect(model.endpoints.map(e => e.name)).toEqual(['beta']);
    expect(model.selected).toBe('beta');
    model.dispose();
  });

  it('keeps a refused action as the action error, until the next one', async () => {
    const { model, state } = setup([endpoint('alpha')]);
    await shown(model);
    state.failAction = true;
    expect(await model.promote('alpha')).toBe(false);
    expect(model.actionError).toMatchObject({ action: 'promote', endpoint: 'alpha' });
    expect(errorMessage(model.actionError?.reason)).toBe('no new version to promote');
    state.failAction = false;
    await model.rollback('alpha');
    expect(model.actionError).toBeNull();
    model.dispose();
  });

  it('keeps the endpoints when a load fails', async () => {
    const { model, state } = setup([endpoint('alpha')]);
    await shown(model);
    state.fail = true;
    await model.reload();
    expect(errorMessage(model.error)).toBe('the service is starting');
    expect(model.endpoints.map(e => e.name)).toEqual(['alpha']);
    model.dispose();
  });

  it('shows an endpoint a dialog answered, selected', async () => {
    const { model } = setup([endpoint('alpha')]);
    await shown(model);
    model.replace(endpoint('new-one', { state: 'starting', blue: null, replicas: [] }));
    expect(model.endpoints.map(e => e.name)).toEqual(['alpha', 'new-one']);
    expect(model.selected).toBe('new-one');
    model.dispose();
  });

  it('forgets the selection and errors of another project', async () => {
    const { model, state } = setup([endpoint('alpha')]);
    await shown(model);
    state.failAction = true;
    await model.promote('alpha');
    model.setProject(project('other'), ALICE);
    expect(model.selected).toBeNull();
    expect(model.actionError).toBeNull();
    expect(model.endpoints).toEqual([]);
    model.dispose();
  });
});
