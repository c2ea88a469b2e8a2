import { describe, expect, it } from 'vitest';

import {
  type NotebookDiff,
  type ParametersModel,
  type RunModel,
  ScaleLabAPIError
} from '../../src/common/api';
import { BASE, jsonResponse, setup } from '../fakeclient';

const RUN: RunModel = {
  id: '20240501-120000-abcdef12',
  project: 'churn',
  kind: 'notebook',
  target: 'train.ipynb',
  status: 'queued',
  trigger: 'user',
  triggered_by: 'alice',
  parameters: { epochs: 3 },
  executor: 'local',
  created_at: '2024-05-01T12:00:00+00:00',
  started_at: null,
  finished_at: null,
  error: null,
  queue_position: null,
  environment: {},
  steps: [],
  tracking: null
};


describe('ScaleLabClient runs', () => {
  it('getParameters() GETs the parameters with the path encoded', async () => {
    const model: ParametersModel = {
      path: 'sub dir/pipeline.yaml',
      kind: 'pipeline',
      parameters: [
        { name: 'n', type: 'int', default: '3', default_source: null, help: 'rows' }
      ],
      steps: ['prepare', 'train']
    };
    const { client, call } = setup(() => jsonResponse(model));
    await expect(
      client.getParameters('my proj', 'sub dir/pipeline.yaml')
    ).resolves.toEqual(model);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/my%20proj/parameters?path=sub%20dir%2Fpipeline.yaml`,
      method: 'GET',
      body: undefined
    });
  });

  it('getParameters() encodes &, # and ? in the path', async () => {
    const { client, call } = setup(() =>
      jsonResponse({ path: '', kind: 'notebook', parameters: [], steps: [] })
    );
    await client.getParameters('churn', 'a&b#c?.ipynb');
    expect(call().url).toBe(
      `${BASE}api/projects/churn/parameters?path=a%26b%23c%3F.ipynb`
    );
  });

  it('listRuns() GETs the runs of a project', async () => {
    const { client, call } = setup(() => jsonResponse({ runs: [RUN] }));
    await expect(client.listRuns('churn')).resolves.toEqual({ runs: [RUN] });
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/runs`,
      method: 'GET'
    });
  });

  it('startRun() POSTs the RunCreate body and parses the 201', async () => {
    const { client, call } = setup(() => jsonResponse(RUN, 201));
    await expect(
      client.startRun('churn', {
        target: 'train.ipynb',
        parameters: { epochs: 3, tags: ['a'] },
        fresh: true
      })
    ).resolves.toEqual(RUN);
    const c = call();
    expect(c).toMatchObject({
      url: `${BASE}api/projects/churn/runs`,
      method: 'POST',
      body: { target: 'train.ipynb', parameters: { epochs: 3, tags: ['a'] }, fresh: true }
    });
    expect(c.headers.get('Content-Type')).toBe('application/json');
  });

  it('getRun() and cancelRun() use the encoded run id', async () => {
    const { client, call } = setup(() => jsonResponse(RUN));
    await client.getRun('churn', 'run/1');
    await client.cancelRun('churn', 'run/1');
    expect(call(0)).toMatchObject({
      url: `${BASE}api/projects/churn/runs/run%2F1`,
      method: 'GET'
    });
    expect(call(1)).toMatchObject({
      url: `${BASE}api/projects/churn/runs/run%2F1/cancel`,
      method: 'POST',
      body: {}
    });
  });

  it('diffRuns() GETs the diff with other and step encoded', async () => {
    const diff: NotebookDiff = {
      base: 'r1',
      remote: 'r2',
      step: 'train model',
      base_notebook: { cells: [] },
      diff: []
    };
    const { client, call } = setup(() => jsonResponse(diff));
    await expect(
      client.diffRuns('churn', 'r2', 'r1', 'train model')
    ).resolves.toEqual(diff);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/runs/r2/diff?other=r1&step=train%20model`,
      method: 'GET'
    });
  });

  it('throws ScaleLabAPIError for errors', async () => {
    const { client } = setup(() =>
      jsonResponse({ status: 409, message: 'run is finished' }, 409)
    );
    const err = await client.cancelRun('churn', 'r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect((err as ScaleLabAPIError).status).toBe(409);
    expect((err as ScaleLabAPIError).message).toBe('run is finished');
  });
});
