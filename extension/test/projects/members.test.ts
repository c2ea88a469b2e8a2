import { describe, expect, it } from 'vitest';

import { type MemberModel } from '../../src/common/api';
import { errorMessage } from '../../src/common/helpers';
import { MembersModel } from '../../src/projects/membersmodel';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';

function member(name: string, overrides: Partial<MemberModel> = {}): MemberModel {
  return { kind: 'user', name, role: 'viewer', ...overrides };
}

function setup(members: MemberModel[]) {
  const state = { members, failList: false, failChange: false };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects/churn/members') {
      return state.failList
        ? jsonResponse({ detail: 'database down' }, 503)
        : jsonResponse({ members: state.members });
    }
    const one = /^api\/projects\/churn\/members\/(user|group)\/(\w+)$/.exec(path);
    if (one && (method === 'PUT' || method === 'DELETE')) {
      if (state.failChange) {
        const message = 'a project keeps at least one owner';
        return jsonResponse({ message, status: 409, request_id: null }, 409);
      }
      const [, kind, name] = one as unknown as [string, 'user' | 'group', string];
      const rest = state.members.filter(m => m.kind !== kind || m.name !== name);
      if (method === 'DELETE') {
        state.members = rest;
        return new Response(null, { status: 204 });
      }
      const changed = member(name, { kind, role: (body as Pick<MemberModel, 'role'>).role });
      state.members = [...rest, changed];
      return jsonResponse(changed);
    }
    return undefined;
  });
  const model = new MembersModel(fake.client);
  let changes = 0;
  let membersChanged = 0;
  model.changed.connect(() => {
    changes++;
  });
  model.membersChanged.connect(() => {
    membersChanged++;
  });
  return {
    ...fake,
    model,
    state,
    changes: () => changes,
    membersChanged: () => membersChanged
  };
}

describe('MembersModel', () => {
  it('loads the members, sorted, when the project is shown', async () => {
    const { model, changes, requests } = setup([
      member('zoe'),
      member('data', { kind: 'group' }),
      member('alice', { role: 'owner' })
    ]);
    expect(model.loaded).toBe(false);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    expect(model.loaded).toBe(true);
    expect(model.members.map(m => m.name)).toEqual(['alice', 'zoe', 'data']);
    expect(model.error).toBeNull();
    expect(changes()).toBeGreaterThanOrEqual(2);
    expect(requests()[0]).toBe('GET api/projects/churn/members');
  });

  it('lets owners and hub admins manage the members, no one else', () => {
    const { model } = setup([]);
    expect(model.canManage).toBe(false);
    model.setProject(project('churn'), ALICE);
    expect(model.canManage).toBe(true);
    model.setProject(project('churn', { my_role: 'editor' }), ALICE);
    expect(model.canManage).toBe(false);
    model.setProject(project('churn', { my_role: null }), { ...ALICE, admin: true });
    expect(model.canManage).toBe(true);
    model.dispose();
  });

  it('adds a member, changes a role and removes a member, then reloads', async () => {
    const { model, state, requests, membersChanged } = setup([member('alice', { role: 'owner' })]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    expect(await model.add('user', 'bob', 'viewer')).toBe(true);
    expect(model.members.map(m => m.name)).toEqual(['alice', 'bob']);
    expect(requests()).toContain('PUT api/projects/churn/members/user/bob');

    const changing = model.setRole(model.members[1], 'editor');
    expect(model.busy).toBe(true);
    expect(model.members[1].role).toBe('editor'); // shown at once
    expect(await model.setRole(model.members[1], 'owner')).toBe(false); // one at a time
    expect(await changing).toBe(true);
    expect(model.busy).toBe(false);
    expect(state.members.find(m => m.name === 'bob')?.role).toBe('editor');

    expect(await model.remove(model.members[1])).toBe(true);
    expect(model.members.map(m => m.name)).toEqual(['alice']);
    expect(membersChanged()).toBe(3);
  });

  it('keeps the error of a failed change and reverts it', async () => {
    const { model, state, membersChanged } = setup([member('alice', { role: 'owner' })]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    state.failChange = true;
    expect(await model.setRole(model.members[0], 'viewer')).toBe(false);
    expect(model.members[0].role).toBe('owner');
    expect(errorMessage(model.changeError)).toContain('at least one owner');
    expect(model.busy).toBe(false);
    expect(membersChanged()).toBe(0);
    state.failChange = false;
    expect(await model.add('group', 'data', 'runner')).toBe(true);
    expect(model.changeError).toBeNull();
  });

  it('keeps the members and reports the error when a load fails', async () => {
    const { model, state } = setup([member('alice')]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    state.failList = true;
    await model.reload();
    expect(model.error).not.toBeNull();
    expect(model.members).toHaveLength(1);
    state.failList = false;
    await model.reload();
    expect(model.error).toBeNull();
  });

  it('counts only the newest load, and nothing after being disposed', async () => {
    const answers: ((response: Response) => void)[] = [];
    const fake = routed(
      (method, path) =>
        new Promise<Response>(resolve => {
          answers.push(resolve);
        })
    );
    const model = new MembersModel(fake.client);
    model.setProject(project('churn'), ALICE); // load 1
    const second = model.reload(); // load 2
    await Promise.resolve();
    await Promise.resolve();
    expect(answers).toHaveLength(2);
    answers[1](jsonResponse({ members: [member('new')] }));
    await second;
    answers[0](jsonResponse({ members: [member('old')] }));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.members.map(m => m.name)).toEqual(['new']);

    model.dispose();
    expect(model.isDisposed).toBe(true);
    await model.reload();
    expect(fake.fetch).toHaveBeenCalledTimes(2);
  });

  it('forgets the members of the previous project', async () => {
    const { model } = setup([member('alice')]);
    model.setProject(project('churn'), ALICE);
    await model.reload();
    model.setProject(null, ALICE);
    expect(model.members).toEqual([]);
    expect(model.loaded).toBe(false);
    expect(model.slug).toBeNull();
    expect(await model.add('user', 'bob', 'viewer')).toBe(false);
  });
});
