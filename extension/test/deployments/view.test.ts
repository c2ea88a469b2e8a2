import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { type EndpointModel, type ProjectModel } from '../../src/common/api';
import { CommandIDs } from '../../src/common/commands';
import { DeploymentsModel } from '../../src/deployments/model';
import { type DeploymentDialogs, DeploymentsView } from '../../src/deployments/view';
import { deployed, deploymentEvent, endpoint, replica } from '../deploymentfixtures';
import { fakeCommands } from '../fakecommands';
import { byTestId, installFakeDom } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const NOW = Date.parse('2024-05-01T15:00:00+00:00');
const URL = 'http://hub.test/services/scalelab/serve/churn/tumours/invocations';

function tumours(): EndpointModel {
  return endpoint('tumours', {
    state: 'baking',
    blue: deployed('tumours', '1'),
    green: deployed('tumours', '2'),
    green_share: 10,
    replicas: [
      replica('r1', { version: 'tumours/1', served: 12 }),
      replica('r2', { colour: 'green', version: 'tumours/2', ready: false })
    ],
    stats: {
      requests_per_second: 2.5,
      p50_ms: 4.2,
      p99_ms: 18.7,
      error_rate: 0.01,
      in_flight: 1
    }
  });
}

async function render(
  role: ProjectModel['my_role'],
  options: {
    endpoints?: EndpointModel[];
    dialogs?: Partial<DeploymentDialogs>;
    archived?: boolean;
  } = {}
) {
  const state = { endpoints: options.endpoints ?? [tumours()] };
  const fake = routed((method, path) => {
    if (method === 'GET' && path === 'api/projects/churn/deployments') {
      return jsonResponse({ deployments: state.endpoints });
    }
    if (method === 'GET' && path.startsWith('api/projects/churn/deployments/tumours/events')) {
      return jsonResponse({
        events: [
          deploymentEvent(1, 'deploy', { message: 'endpoint created with models:/tumours/1' }),
          deploymentEvent(2, 'switch', { version: '2', actor: 'bob' })
        ]
      });
    }
    if (method === 'POST' && /\/(promote|rollback)$/.test(path)) {
      return jsonResponse(state.endpoints[0]);
    }
    if (method === 'DELETE') {
      return new Response(null, { status: 204 });
    }
    return undefined;
  });
  const model = new DeploymentsModel({ client: fake.client });
  const { commands, execute } = fakeCommands([CommandIDs.deployModel]);
  const copy = vi.fn();
  const dialogs: DeploymentDialogs = {
    deployVersion: async () => null,
    scale: async () => null,
    confirm: async () => true,
    ...options.dialogs
  };
  const view = new DeploymentsView({
    model,
    client: fake.client,
    commands,
    dialogs,
    copy,
    endpointUrl: (slug, name) => `http://hub.test/services/scalelab/serve/${slug}/${name}/invocations`,
    now: () => NOW
  });
  model.setActive(true);
  model.setVisible(true);
  model.setProject(project('churn', { my_role: role, archived: options.archived ?? false }), ALICE);
  await vi.waitFor(() => {
    expect(model.events).not.toBeNull();
  });
  const one = (testid: string) => byTestId(view.node, testid)[0];
  const dispose = () => {
    view.dispose();
    model.dispose();
  };
  return { ...fake, model, view, node: view.node, one, execute, copy, dispose };
}

describe('DeploymentsView', () => {
  it('shows each endpoint: state, versions, traffic, replicas and stats', async () => {
    const { node, one, dispose } = await render('viewer');
    const [row] = byTestId(node, 'scalelab-endpoint');
    expect(row.dataset.endpoint).toBe('tumours');
    expect(row.dataset.state).toBe('baking');
    expect(one('scalelab-endpoint-state').textContent).toBe('baking');
    expect(one('scalelab-endpoint-blue').textContent).toBe('tumours/1');
    expect(one('scalelab-endpoint-green').textContent).toBe('tumours/2');
    expect(one('scalelab-endpoint-traffic').textContent).toBe('90% blue · 10% green');
    expect(one('scalelab-endpoint-replicas').textContent).toBe('1/2');
    expect(one('scalelab-endpoint-rps').textContent).toBe('2.5');
    expect(one('scalelab-endpoint-p50').textContent).toBe('4.2 ms');
    expect(one('scalelab-endpoint-p99').textContent).toBe('19 ms');
    expect(one('scalelab-endpoint-errors').textContent).toBe('1.0%');
    const replicas = byTestId(node, 'scalelab-endpoint-replica');
    expect(replicas.map(r => [r.dataset.colour, r.dataset.ready])).toEqual([
      ['blue', 'true'],
      ['green', 'false']
    ]);
    dispose();
  });

  it('shows the history of the selected endpoint, newest first', async () => {
    const { node, dispose } = await render('viewer');
    expect(byTestId(node, 'scalelab-endpoint-detail')[0].dataset.endpoint).toBe('tumours');
    const events = byTestId(node, 'scalelab-endpoint-event');
    expect(events.map(e => e.dataset.kind)).toEqual(['switch', 'deploy']);
    const cells = Array.from(events[0].querySelectorAll('td')).map(td => td.textContent);
    expect(cells).toEqual(['58 min ago', 'switch', 'bob', '2', 'switch 2']);
    dispose();
  });

  it('gives the URL, curl and Python examples, each copied by a button', async () => {
    const { one, copy, dispose } = await render('viewer');
    expect(one('scalelab-endpoint-url').textContent).toBe(URL);
    const curl = one('scalelab-endpoint-curl').textContent ?? '';
    expect(curl).toContain(`curl -X POST '${URL}'`);
    expect(one('scalelab-endpoint-python').textContent).toContain(`"${URL}"`);
    one('scalelab-endpoint-curl-copy').click();
    expect(copy).toHaveBeenCalledWith(curl);
    dispose();
  });

  it('hides the deployer actions from a viewer and an editor', async () => {
    for (const role of ['viewer', 'editor'] as const) {
      const { node, one, dispose } = await render(role);
      expect(byTestId(node, 'scalelab-endpoint-actions')).toHaveLength(0);
      expect(byTestId(node, 'scalelab-endpoint-rollback')).toHaveLength(0);
      expect(one('scalelab-deployments-new').hidden).toBe(true);
      dispose();
    }
  });

  it('gives a deployer the actions that make sense now', async () => {
    const { one, dispose } = await render('deployer');
    expect(one('scalelab-deployments-new').hidden).toBe(false);
    const enabled = (testid: string) => !(one(testid) as HTMLButtonElement).disabled;
    expect(enabled('scalelab-endpoint-deploy-version')).toBe(false); // green under way
    expect(enabled('scalelab-endpoint-promote')).toBe(true);
    expect(enabled('scalelab-endpoint-rollback')).toBe(true);
    expect(enabled('scalelab-endpoint-scale')).toBe(true);
    expect(enabled('scalelab-endpoint-remove')).toBe(true);
    dispose();
  });

  it('promotes, and rolls back and removes once confirmed', async () => {
    const confirm = vi.fn<DeploymentDialogs['confirm']>(async action => action === 'remove');
    const { one, model, requests, dispose } = await render('owner', { dialogs: { confirm } });
    one('scalelab-endpoint-promote').click();
    await vi.waitFor(() => {
      expect(requests()).toContain('POST api/projects/churn/deployments/tumours/promote');
      expect(model.isBusy('tumours')).toBe(false);
    });
    one('scalelab-endpoint-rollback').click();
    await vi.waitFor(() => {
      expect(confirm).toHaveBeenCalledTimes(1);
    });
    expect(confirm.mock.calls[0][0]).toBe('rollback');
    one('scalelab-endpoint-remove').click();
    await vi.waitFor(() => {
      expect(requests()).toContain('DELETE api/projects/churn/deployments/tumours');
    });
    expect(requests()).not.toContain('POST api/projects/churn/deployments/tumours/rollback');
    dispose();
  });

  it('deploys a version and scales through the dialogs, showing the answer', async () => {
    const answered = endpoint('tumours', { blue: deployed('tumours', '1'), max_replicas: 5 });
    const deployVersion = vi.fn<DeploymentDialogs['deployVersion']>(async () => answered);
    const scale = vi.fn<DeploymentDialogs['scale']>(async () => null);
    const { one, model, dispose } = await render('deployer', {
      endpoints: [endpoint('tumours', { blue: deployed('tumours', '1') })],
      dialogs: { deployVersion, scale }
    });
    one('scalelab-endpoint-deploy-version').click();
    await vi.waitFor(() => {
      expect(model.endpoints[0].max_replicas).toBe(5);
    });
    expect(deployVersion.mock.calls[0][0]).toBe('churn');
    one('scalelab-endpoint-scale').click();
    await vi.waitFor(() => {
      expect(scale).toHaveBeenCalledTimes(1);
    });
    dispose();
  });

  it('opens the new endpoint dialog through its command', async () => {
    const { one, execute, dispose } = await render('deployer');
    one('scalelab-deployments-new').click();
    expect(execute).toHaveBeenCalledWith(CommandIDs.deployModel, { project: 'churn' });
    dispose();
  });

  it('lets nothing be deployed in an archived project', async () => {
    const { one, dispose } = await render('deployer', {
      endpoints: [endpoint('tumours')],
      archived: true
    });
    expect((one('scalelab-deployments-new') as HTMLButtonElement).disabled).toBe(true);
    expect((one('scalelab-endpoint-deploy-version') as HTMLButtonElement).disabled).toBe(true);
    dispose();
  });

  it('says when there is no endpoint yet, and shows a load error on one line', async () => {
    const state = { fail: false };
    const fake = routed((method, path) =>
      path === 'api/projects/churn/deployments'
        ? state.fail
          ? jsonResponse({ status: 500, message: 'store down:\n  try later' }, 500)
          : jsonResponse({ deployments: [] })
        : undefined
    );
    const model = new DeploymentsModel({ client: fake.client });
    const view = new DeploymentsView({
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
    const status = byTestId(view.node, 'scalelab-deployments-status')[0];
    expect(status.hidden).toBe(false);
    expect(status.textContent).toBe('No endpoints yet: deployers serve registered models here.');
    expect(byTestId(view.node, 'scalelab-deployments')[0].hidden).toBe(true);
    expect(byTestId(view.node, 'scalelab-endpoint-detail')[0].hidden).toBe(true);

    state.fail = true;
    await model.reload();
    const error = byTestId(view.node, 'scalelab-deployments-error')[0];
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe('Could not load the endpoints: store down: try later');
    view.dispose();
    model.dispose();
  });
});
