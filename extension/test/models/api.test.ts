import { describe, expect, it } from 'vitest';

import { ScaleLabAPIError } from '../../src/common/api';
import { BASE, jsonResponse, setup } from '../fakeclient';
import { registeredModel, version } from '../fixtures';

const MODEL = registeredModel('churn model', [version('2', { aliases: ['champion'] }), version('1')]);

describe('ScaleLabClient models', () => {
  it('listModels() GETs the models of a project', async () => {
    const { client, call } = setup(() => jsonResponse({ models: [MODEL] }));
    expect((await client.listModels('churn')).models[0].name).toBe('churn model');
    expect(call()).toMatchObject({ url: `${BASE}api/projects/churn/models`, method: 'GET' });
  });

  it('registerModel() POSTs the registration', async () => {
    const { client, call } = setup(() => jsonResponse(MODEL, 201));
    const body = { run_id: 'r1', name: 'churn model', artifact_path: 'model', aliases: ['champion'] };
    expect(await client.registerModel('churn', body)).toEqual(MODEL);
    expect(call()).toMatchObject({ url: `${BASE}api/projects/churn/models`, method: 'POST', body });
  });

  it('setModelAlias() PUTs the version, removeModelAlias() DELETEs, names encoded', async () => {
    const { client, call } = setup(() => jsonResponse(MODEL));
    await client.setModelAlias('churn', 'churn model', 'champion', '2');
    expect(call(0)).toMatchObject({
      url: `${BASE}api/projects/churn/models/churn%20model/aliases/champion`,
      method: 'PUT',
      body: { version: '2' }
    });
    await client.removeModelAlias('churn', 'churn model', 'a/b');
    expect(call(1)).toMatchObject({
      url: `${BASE}api/projects/churn/models/churn%20model/aliases/a%2Fb`,
      method: 'DELETE'
    });
  });

  it('throws the service error ({status, message})', async () => {
    const { client } = setup(() =>
      jsonResponse({ status: 403, message: 'deployer role needed', request_id: 'x' }, 403)
    );
    const err = await client.setModelAlias('churn', 'm', 'champion', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect((err as ScaleLabAPIError).message).toBe('deployer role needed');
    expect((err as ScaleLabAPIError).status).toBe(403);
  });
});
