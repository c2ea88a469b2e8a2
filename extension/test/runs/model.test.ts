import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type RunModel } from '../../src/common/api';
import { RunsModel } from '../../src/runs/model';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project, run } from '../fixtures';

const INTERVAL = 1000;

function setup(runs: RunModel[]) {
  const state = { runs, fail: false };
  const fake = routed((method, path) => {
    if (method === 'GET' && path === 'api/projects/churn/runs') {
      return state.fail
        ? jsonResponse({ detail: 'boom' }, 500)
        : jsonResponse({ runs: state.runs });
    }
    const cancel = /^api\/projects\/churn\/runs\/(\w+)\/cancel$/.exec(path);
    if (method === 'POST' && cancel) {
      const cancelled = run(cancel[1], { status: 'cancelled' });
      state.runs = state.runs.map(r => (r.id === cancelled.id ? cancelled : r));
      return jsonResponse(cancelled);
    }
    return undefined;
  });
  const model = new RunsModel({ client: fake.client, interval: INTERVAL });
  let changes = 0;
  model.changed.connect(() => {
    changes++;
  });
  const listCalls = () => fake.requests().filter(r => r === 'GET api/projects/churn/runs').length;
  return { ...fake, model, state, changes: () => changes, listCalls };
}

describe('RunsModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the runs of the project, newest first, and emits changed', async () => {
    const { model, changes } = setup([run('r1'), run('r2')]);
    model.setProject(project('churn'), ALICE);
    expect(model.loaded).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(model.loaded).toBe(true);
    expect(model.runs.map(r => r.id)).toEqual(['r2', 'r1']);
    expect(changes()).toBeGreaterThanOrEqual(2);
    model.dispose();
  });

  it('polls while a run is going, and stops when none is', async () => {
    const { model, state, listCalls } = setup([run('r1', { status: 'running' })]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(listCalls()).toBe(2);
    state.runs = [run('r1', { status: 'succeeded' })];
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(listCalls()).toBe(3);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(listCalls()).toBe(3);
    model.dispose();
  });

  it('takes a new interval, and stops polling for good when disposed', async () => {
    const { model, listCalls } = setup([run('r1', { status: 'queued' })]);
    model.interval = 3000;
    expect(model.interval).toBe(3000);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(3000);
    const calls = listCalls();
    expect(calls).toBeGreaterThanOrEqual(2);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * 3000);
    expect(listCalls()).toBe(calls);
  });

  it('shows a run just started, selected, and drops a selection that is gone', async () => {
    const { model, state } = setup([run('r1')]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    const started = run('r2', { status: 'queued' });
    state.runs = [run('r1'), started];
    await model.showRun(started);
    expect(model.selectedId).toBe('r2');
    expect(model.selected?.status).toBe('queued');
    state.runs = [run('r1')];
    await model.reload();
    expect(model.selectedId).toBeNull();
    model.dispose();
  });

  it('keeps the runs and reports the error when a load fails', async () => {
    const { model, state } = setup([run('r1')]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    state.fail = true;
    await model.reload();
    expect(model.error).not.toBeNull();
    expect(model.runs).toHaveLength(1);
    state.fail = false;
    await model.reload();
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('cancels a run and shows it cancelled', async () => {
    const { model, requests } = setup([run('r1', { status: 'running' })]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    await model.cancel('r1');
    expect(requests()).toContain('POST api/projects/churn/runs/r1/cancel');
    expect(model.runs[0].status).toBe('cancelled');
    model.dispose();
  });

  it('forgets the runs of the previous project', async () => {
    const { model } = setup([run('r1')]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(0);
    model.select('r1');
    model.setProject(null, ALICE);
    expect(model.runs).toEqual([]);
    expect(model.selectedId).toBeNull();
    expect(model.slug).toBeNull();
    model.dispose();
  });
});
