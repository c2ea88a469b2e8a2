import { describe, expect, it } from 'vitest';

import { type AuditEvent } from '../../src/common/api';
import { AuditModel } from '../../src/projects/auditmodel';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';

function event(id: number, at: string): AuditEvent {
  return { id, at, action: 'project.update', actor: 'alice', project: 'churn', details: {} };
}

function setup(events: AuditEvent[]) {
  const state = { events, fail: false };
  const fake = routed((method, path) => {
    if (method === 'GET' && path === 'api/projects/churn/audit') {
      return state.fail
        ? jsonResponse({ detail: 'forbidden' }, 403)
        : jsonResponse({ events: state.events });
    }
    return undefined;
  });
  const model = new AuditModel(fake.client);
  let changes = 0;
  model.changed.connect(() => {
    changes++;
  });
  return { ...fake, model, state, changes: () => changes };
}

describe('AuditModel', () => {
  it('loads only when asked, newest first', async () => {
    const { model, requests, changes } = setup([
      event(1, '2024-05-01T12:00:00Z'),
      event(2, '2024-05-02T12:00:00Z')
    ]);
    model.setProject(project('churn'), ALICE);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(requests()).toEqual([]);
    expect(model.loaded).toBe(false);
    await model.reload();
    expect(requests()).toEqual(['GET api/projects/churn/audit']);
    expect(model.loaded).toBe(true);
    expect(model.events.map(e => e.id)).toEqual([2, 1]);
    expect(changes()).toBe(2);
    model.dispose();
  });

  it('is for owners and hub admins only', () => {
    const { model } = setup([]);
    expect(model.canView).toBe(false);
    model.setProject(project('churn'), ALICE);
    expect(model.canView).toBe(true);
    model.setProject(project('churn', { my_role: 'deployer' }), ALICE);
    expect(model.canView).toBe(false);
    model.setProject(project('churn', { my_role: null }), { ...ALICE, admin: true });
    expect(model.canView).toBe(true);
    model.dispose();
  });

  it('keeps the events and reports the error when a load fails', async () => {
    const { model, state } = setup([event(1, '2024-05-01T12:00:00Z')]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    state.fail = true;
    await model.reload();
    expect(model.error).not.toBeNull();
    expect(model.events).toHaveLength(1);
    state.fail = false;
    await model.reload();
    expect(model.error).toBeNull();
    model.dispose();
  });
});
