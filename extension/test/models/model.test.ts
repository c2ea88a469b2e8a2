import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type RegisteredModelModel } from '../../src/common/api';
import { errorMessage } from '../../src/common/helpers';
import { ModelsModel } from '../../src/models/model';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project, registeredModel, version } from '../fixtures';

const INTERVAL = 1000;

function setup(models: RegisteredModelModel[]) {
  const state = { models, fail: false, failChange: false };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/models') {
      return state.fail
        ? jsonResponse({ status: 503, message: 'MLflow is starting;\ntry again shortly' }, 503)
        : jsonResponse({ models: state.models });
    }
    const alias = /^api\/projects\/churn\/models\/([^/]+)\/aliases\/([^/]+)$/.exec(path);
    if (alias && (method === 'PUT' || method === 'DELETE')) {
      if (state.failChange) {
        return jsonResponse({ status: 403, message: 'deployer role needed' }, 403);
      }
      const name = decodeURIComponent(alias[1]);
      const which = decodeURIComponent(alias[2]);
      const to = method === 'PUT' ? (body as { version: string }).version : null;
      state.models = state.models.map(m =>
        m.name !== name
          ? m
          : {
              ...m,
              versions: m.versions.map(v => ({
                ...v,
                aliases: [...v.aliases.filter(a => a !== which), ...(v.version === to ? [which] : [])]
              }))
            }
      );
      return jsonResponse(state.models.find(m => m.name === name));
    }
    return undefined;
  });
  const model = new ModelsModel({ client: fake.client, interval: INTERVAL });
  const listCalls = () =>
    fake.requests().filter(r => r === 'GET api/projects/churn/models').length;
  return { ...fake, model, state, listCalls };
}

describe('ModelsModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the models once shown, by name, versions newest first', async () => {
    const { model, listCalls } = setup([
      registeredModel('zeta', [version('1')]),
      registeredModel('churn', [version('1'), version('3'), version('2')])
    ]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(0); // not shown yet
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(model.loaded).toBe(true);
    expect(model.models.map(m => m.name)).toEqual(['churn', 'zeta']);
    expect(model.models[0].versions.map(v => v.version)).toEqual(['3', '2', '1']);
    model.dispose();
  });

  it('refreshes while shown, and stops when the tab is left', async () => {
    const { model, state, listCalls } = setup([registeredModel('churn', [version('1')])]);
    model.setActive(true);
    model.setVisible(true);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(1);
    state.models = [registeredModel('churn', [version('1'), version('2')])];
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(listCalls()).toBe(2);
    expect(model.models[0].versions).toHaveLength(2);
    model.setVisible(false);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(listCalls()).toBe(2);
    model.setVisible(true); // shown again: reloaded at once
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(3);
    model.dispose();
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(listCalls()).toBe(3);
  });

  it('keeps the models and the error when a load fails', async () => {
    const { model, state } = setup([registeredModel('churn', [version('1')])]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    state.fail = true;
    await model.reload();
    expect(model.models).toHaveLength(1);
    expect(errorMessage(model.error)).toBe('MLflow is starting;\ntry again shortly');
    state.fail = false;
    await model.reload();
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('lets deployers, owners and hub admins change aliases', () => {
    const { model } = setup([]);
    expect(model.canDeploy).toBe(false);
    model.setProject(project('churn', { my_role: 'editor' }), ALICE);
    expect(model.canDeploy).toBe(false);
    model.setProject(project('churn', { my_role: 'deployer' }), ALICE);
    expect(model.canDeploy).toBe(true);
    model.setProject(project('churn', { my_role: null }), { ...ALICE, admin: true });
    expect(model.canDeploy).toBe(true);
    model.dispose();
  });

  it('sets and removes an alias, showing the model as answered', async () => {
    const { model, requests } = setup([registeredModel('churn', [version('2'), version('1')])]);
    model.setProject(project('churn', { my_role: 'deployer' }), ALICE);
    await model.reload();
    const setting = model.setAlias('churn', 'champion', '2');
    expect(model.isBusy('churn')).toBe(true);
    expect(await model.setAlias('churn', 'challenger', '1')).toBe(false); // one at a time
    expect(await setting).toBe(true);
    expect(model.isBusy('churn')).toBe(false);
    expect(model.models[0].versions[0].aliases).toEqual(['champion']);
    expect(await model.removeAlias('churn', 'champion')).toBe(true);
    expect(model.models[0].versions[0].aliases).toEqual([]);
    expect(requests()).toEqual([
      'GET api/projects/churn/models',
      'PUT api/projects/churn/models/churn/aliases/champion',
      'DELETE api/projects/churn/models/churn/aliases/champion'
    ]);
    model.dispose();
  });

  it('keeps the error of a failed alias change until the next change', async () => {
    const { model, state } = setup([registeredModel('churn', [version('1')])]);
    model.setProject(project('churn', { my_role: 'deployer' }), ALICE);
    await model.reload();
    state.failChange = true;
    expect(await model.setAlias('churn', 'champion', '1')).toBe(false);
    expect(model.actionError).toMatchObject({
      action: 'set-alias',
      model: 'churn',
      alias: 'champion',
      version: '1'
    });
    expect(errorMessage(model.actionError?.reason)).toBe('deployer role needed');
    state.failChange = false;
    expect(await model.setAlias('churn', 'champion', '1')).toBe(true);
    expect(model.actionError).toBeNull();
    model.dispose();
  });

  it('adds a model just registered, and forgets the models of the previous project', async () => {
    const { model } = setup([]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    model.replace(registeredModel('churn', [version('1')]));
    expect(model.models.map(m => m.name)).toEqual(['churn']);
    model.setProject(null, ALICE);
    expect(model.models).toEqual([]);
    expect(model.loaded).toBe(false);
    model.dispose();
  });
});
