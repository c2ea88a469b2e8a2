import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEndpointForm, deployVersionForm, scaleForm } from '../../src/deployments/form';
import { endpoint } from '../deploymentfixtures';
import { byTestId, installFakeDom, type } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const TUMOURS = endpoint('tumours');

function fake(answer: () => Response = () => jsonResponse(TUMOURS, 202)) {
  const client = routed(() => answer());
  const posted = () =>
    client.fetch.mock.calls.map(([, init]) => JSON.parse(String(init?.body)) as unknown);
  return { ...client, posted };
}

const control = (node: HTMLElement, testid: string) =>
  byTestId(node, testid)[0] as HTMLInputElement;

describe('endpoint forms', () => {
  it('creates an endpoint from the values typed', async () => {
    const { client, posted, requests } = fake();
    const form = createEndpointForm(client, 'churn', { modelUri: 'models:/tumours/1' });
    expect(form.canSave()).toBe(false); // no name yet
    type(control(form.node, 'scalelab-endpoint-create-name'), 'tumours');
    type(control(form.node, 'scalelab-endpoint-create-maxReplicas'), '3');
    expect(form.canSave()).toBe(true);
    expect(await form.save()).toBe(true);
    expect(requests()).toEqual(['POST api/projects/churn/deployments']);
    expect(posted()).toEqual([
      {
        name: 'tumours',
        model_uri: 'models:/tumours/1',
        min_replicas: 1,
        max_replicas: 3,
        request_log_rate: 0
      }
    ]);
    expect(form.getValue()).toEqual(TUMOURS);
  });

  it('shows the service’s refusal on one line and stays open', async () => {
    const { client } = fake(() =>
      jsonResponse({ status: 409, message: 'endpoint tumours\nexists' }, 409)
    );
    const form = createEndpointForm(client, 'churn', {
      name: 'tumours',
      modelUri: 'models:/tumours/1'
    });
    expect(await form.save()).toBe(false);
    const error = byTestId(form.node, 'scalelab-endpoint-create-error')[0];
    expect(error.textContent).toBe('Not deployed: endpoint tumours exists');
    expect(form.getValue()).toBeNull();
  });

  it('deploys the next version, with a canary share', async () => {
    const { client, posted, requests } = fake();
    const form = deployVersionForm(client, 'churn', TUMOURS);
    expect(control(form.node, 'scalelab-endpoint-deploy-modelUri').value).toBe('models:/churn/2');
    type(control(form.node, 'scalelab-endpoint-deploy-canary'), '100');
    expect(form.canSave()).toBe(false);
    expect(byTestId(form.node, 'scalelab-endpoint-deploy-field-error')[0].hidden).toBe(false);
    type(control(form.node, 'scalelab-endpoint-deploy-canary'), '25');
    expect(await form.save()).toBe(true);
    expect(requests()).toEqual(['POST api/projects/churn/deployments/tumours/versions']);
    expect(posted()).toEqual([{ model_uri: 'models:/churn/2', canary: 25 }]);
  });

  it('scales, starting from the bounds in force', async () => {
    const { client, posted, requests } = fake(() => jsonResponse(TUMOURS));
    const form = scaleForm(client, 'churn', TUMOURS);
    expect(control(form.node, 'scalelab-endpoint-scale-minReplicas').value).toBe('1');
    expect(control(form.node, 'scalelab-endpoint-scale-maxReplicas').value).toBe('2');
    type(control(form.node, 'scalelab-endpoint-scale-minReplicas'), '2');
    expect(await form.save()).toBe(true);
    expect(requests()).toEqual(['PATCH api/projects/churn/deployments/tumours']);
    expect(posted()).toEqual([{ min_replicas: 2, max_replicas: 2 }]);
  });
});
