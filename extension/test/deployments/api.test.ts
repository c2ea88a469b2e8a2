import { describe, expect, it } from 'vitest';

import { ScaleLabAPIError } from '../../src/common/api';
import { endpoint } from '../deploymentfixtures';
import { BASE, jsonResponse, setup } from '../fakeclient';

const TUMOURS = endpoint('tumours');
const PATH = `${BASE}api/projects/churn/deployments`;

describe('ScaleLabClient deployments', () => {
  it('listDeployments() and getDeployment() GET the endpoints', async () => {
    const { client, call } = setup(() => jsonResponse({ deployments: [TUMOURS] }));
    expect((await client.listDeployments('churn')).deployments[0].name).toBe('tumours');
    expect(call()).toMatchObject({ url: PATH, method: 'GET' });
    await client.getDeployment('churn', 'tumours');
    expect(call(1)).toMatchObject({ url: `${PATH}/tumours`, method: 'GET' });
  });

  it('createDeployment() POSTs the endpoint', async () => {
    const { client, call } = setup(() => jsonResponse(TUMOURS, 202));
    const body = {
      name: 'tumours',
      model_uri: 'models:/tumours/1',
      min_replicas: 1,
      max_replicas: 3,
      request_log_rate: 0.1
    };
    expect(await client.createDeployment('churn', body)).toEqual(TUMOURS);
    expect(call()).toMatchObject({ url: PATH, method: 'POST', body });
  });

  it('updates, deploys versions, promotes, rolls back and deletes, names encoded', async () => {
    const { client, call } = setup(() => jsonResponse(TUMOURS));
    await client.updateDeployment('churn', 'a b', { min_replicas: 2, max_replicas: 4 });
    expect(call(0)).toMatchObject({
      url: `${PATH}/a%20b`,
      method: 'PATCH',
      body: { min_replicas: 2, max_replicas: 4 }
    });
    await client.deployVersion('churn', 'tumours', { model_uri: 'models:/tumours/2', canary: 10 });
    expect(call(1)).toMatchObject({
      url: `${PATH}/tumours/versions`,
      method: 'POST',
      body: { model_uri: 'models:/tumours/2', canary: 10 }
    });
    await client.promoteDeployment('churn', 'tumours');
    expect(call(2)).toMatchObject({ url: `${PATH}/tumours/promote`, method: 'POST' });
    await client.rollbackDeployment('churn', 'tumours');
    expect(call(3)).toMatchObject({ url: `${PATH}/tumours/rollback`, method: 'POST' });
    await client.deleteDeployment('churn', 'tumours');
    expect(call(4)).toMatchObject({ url: `${PATH}/tumours`, method: 'DELETE' });
  });

  it('deploymentEvents() GETs the history, with a limit if given', async () => {
    const { client, call } = setup(() => jsonResponse({ events: [] }));
    await client.deploymentEvents('churn', 'tumours');
    expect(call(0).url).toBe(`${PATH}/tumours/events`);
    await client.deploymentEvents('churn', 'tumours', 50);
    expect(call(1).url).toBe(`${PATH}/tumours/events?limit=50`);
  });

  it('lists, creates and revokes keys', async () => {
    const { client, call } = setup(() => jsonResponse({ keys: [] }));
    await client.listEndpointKeys('churn', 'tumours');
    expect(call(0)).toMatchObject({ url: `${PATH}/tumours/keys`, method: 'GET' });
    await client.createEndpointKey('churn', 'tumours', { label: 'ci' });
    expect(call(1)).toMatchObject({
      url: `${PATH}/tumours/keys`,
      method: 'POST',
      body: { label: 'ci' }
    });
    await client.revokeEndpointKey('churn', 'tumours', 7);
    expect(call(2)).toMatchObject({ url: `${PATH}/tumours/keys/7`, method: 'DELETE' });
  });

  it('throws the service error ({status, message})', async () => {
    const { client } = setup(() =>
      jsonResponse({ status: 409, message: "endpoint 'tumours' has no new version to promote" }, 409)
    );
    const err = await client.promoteDeployment('churn', 'tumours').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect((err as ScaleLabAPIError).status).toBe(409);
    expect((err as ScaleLabAPIError).message).toContain('no new version');
  });
});
