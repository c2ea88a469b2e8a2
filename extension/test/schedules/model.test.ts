import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type ScheduleModel } from '../../src/common/api';
import { SchedulesModel } from '../../src/schedules/model';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';
import { schedule } from '../schedulefixtures';

const INTERVAL = 1000;

function setup(schedules: ScheduleModel[]) {
  const state = { schedules, failUpdate: false };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/schedules') {
      return jsonResponse({ schedules: state.schedules });
    }
    const one = /^api\/projects\/churn\/schedules\/(\d+)(\/history)?$/.exec(path);
    if (one) {
      const id = Number(one[1]);
      if (one[2]) {
        return jsonResponse({
          schedule_id: id,
          events: [
            {
              id: 1,
              schedule_id: id,
              due_at: '2024-05-02T04:00:00Z',
              at: '2024-05-02T04:00:01Z',
              outcome: 'queued',
              run_id: 'r1',
              run_status: 'succeeded',
              detail: null
            }
          ]
        });
      }
      if (method === 'PATCH') {
        if (state.failUpdate) {
          return jsonResponse({ detail: 'the project is archived' }, 409);
        }
        const updated = schedule({ id, ...(body as Partial<ScheduleModel>) });
        state.schedules = state.schedules.map(s => (s.id === id ? updated : s));
        return jsonResponse(updated);
      }
      if (method === 'DELETE') {
        state.schedules = state.schedules.filter(s => s.id !== id);
        return new Response(null, { status: 204 });
      }
    }
    return undefined;
  });
  const model = new SchedulesModel({ client: fake.client, interval: INTERVAL });
  let changes = 0;
  model.changed.connect(() => {
    changes++;
  });
  const listCalls = () =>
    fake.requests().filter(r => r === 'GET api/projects/churn/schedules').length;
  return { ...fake, model, state, changes: () => changes, listCalls };
}

describe('SchedulesModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads and polls only while shown (panel shown and tab selected)', async () => {
    const { model, listCalls, changes } = setup([schedule({ id: 2, name: 'b' }), schedule()]);
    model.setProject(project('churn'), ALICE);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(listCalls()).toBe(0);
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(listCalls()).toBe(1);
    expect(model.schedules.map(s => s.name)).toEqual(['b', 'nightly']);
    expect(changes()).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(listCalls()).toBe(2);
    model.setVisible(false);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(listCalls()).toBe(2);
    model.dispose();
  });

  it('loads the history of an expanded schedule', async () => {
    const { model } = setup([schedule()]);
    model.setProject(project('churn'), ALICE);
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    model.toggleHistory(7);
    expect(model.isExpanded(7)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(model.history(7)?.events?.[0].run_id).toBe('r1');
    model.toggleHistory(7);
    expect(model.isExpanded(7)).toBe(false);
    model.dispose();
  });

  it('pauses a schedule, keeps an error under it, and deletes it', async () => {
    const { model, state } = setup([schedule()]);
    model.setProject(project('churn'), ALICE);
    model.setActive(true);
    model.setVisible(true);
    await vi.advanceTimersByTimeAsync(0);
    await model.setPaused(model.schedules[0], true);
    expect(model.schedules[0].paused).toBe(true);
    state.failUpdate = true;
    await model.setPaused(model.schedules[0], false);
    expect(model.rowError(7)).not.toBeNull();
    expect(model.isBusy(7)).toBe(false);
    await model.remove(model.schedules[0]);
    expect(model.schedules).toEqual([]);
    model.dispose();
  });

  it('highlights a schedule just saved, of the shown project only', async () => {
    const { model } = setup([schedule()]);
    model.setProject(project('churn'), ALICE);
    await model.showSchedule(schedule({ id: 9, name: 'new', project: 'other' }));
    expect(model.highlighted).toBeNull();
    await model.showSchedule(schedule({ id: 7 }));
    expect(model.highlighted).toBe(7);
    expect(model.canEdit).toBe(true);
    model.dispose();
  });
});
