import { describe, expect, it } from 'vitest';

import {
  type AuditList,
  type DeletedProject,
  type MemberModel,
  type PreferencesModel,
  type ProjectModel,
  ScaleLabAPIError
} from '../../src/common/api';
import { BASE, jsonResponse, setup } from '../fakeclient';

const PROJECT: ProjectModel = {
  slug: 'churn',
  title: 'Churn model',
  archived: false,
  created_at: '2024-05-01T12:00:00+00:00',
  created_by: 'alice',
  my_role: 'owner',
  workspace: 'projects/churn'
};


describe('ScaleLabClient projects', () => {
  it('listProjects() GETs api/projects', async () => {
    const { client, call } = setup(() => jsonResponse({ projects: [PROJECT] }));
    await expect(client.listProjects()).resolves.toEqual({
      projects: [PROJECT]
    });
    expect(call()).toMatchObject({
      url: `${BASE}api/projects`,
      method: 'GET',
      body: undefined
    });
  });

  it('createProject() POSTs the JSON body and parses the 201', async () => {
    const { client, call } = setup(() => jsonResponse(PROJECT, 201));
    await expect(
      client.createProject({ slug: 'churn', title: 'Churn', template: 'example' })
    ).resolves.toEqual(PROJECT);
    const c = call();
    expect(c).toMatchObject({
      url: `${BASE}api/projects`,
      method: 'POST',
      body: { slug: 'churn', title: 'Churn', template: 'example' }
    });
    expect(c.headers.get('Content-Type')).toBe('application/json');
    expect(c.headers.get('Accept')).toBe('application/json');
  });

  it('getProject() and updateProject() use the encoded slug', async () => {
    const { client, call } = setup(() => jsonResponse(PROJECT));
    await client.getProject('churn');
    await client.updateProject('a b/c', { title: 'New title' });
    expect(call(0)).toMatchObject({
      url: `${BASE}api/projects/churn`,
      method: 'GET'
    });
    expect(call(1)).toMatchObject({
      url: `${BASE}api/projects/a%20b%2Fc`,
      method: 'PATCH',
      body: { title: 'New title' }
    });
  });

  it('archiveProject() and restoreProject() POST an empty object', async () => {
    const { client, call } = setup(() => jsonResponse(PROJECT));
    await client.archiveProject('churn');
    await client.restoreProject('churn');
    expect(call(0)).toMatchObject({
      url: `${BASE}api/projects/churn/archive`,
      method: 'POST',
      body: {}
    });
    expect(call(1)).toMatchObject({
      url: `${BASE}api/projects/churn/restore`,
      method: 'POST',
      body: {}
    });
  });

  it('deleteProject() sends DELETE with ?confirm=<slug>', async () => {
    const deleted: DeletedProject = {
      slug: 'churn',
      archive: 'archive/churn-20240501.tar.gz'
    };
    const { client, call } = setup(() => jsonResponse(deleted));
    await expect(client.deleteProject('churn')).resolves.toEqual(deleted);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn?confirm=churn`,
      method: 'DELETE',
      body: undefined
    });
  });

  it('deleteProject() encodes the slug in the path and the query', async () => {
    const { client, call } = setup(() =>
      jsonResponse({ slug: 'a&b', archive: 'x' })
    );
    await client.deleteProject('a&b');
    expect(call().url).toBe(`${BASE}api/projects/a%26b?confirm=a%26b`);
  });
});

describe('ScaleLabClient members and audit', () => {
  it('listMembers() GETs the members of a project', async () => {
    const members: MemberModel[] = [
      { kind: 'user', name: 'alice', role: 'owner' },
      { kind: 'group', name: 'analysts', role: 'runner' }
    ];
    const { client, call } = setup(() => jsonResponse({ members }));
    await expect(client.listMembers('churn')).resolves.toEqual({ members });
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/members`,
      method: 'GET'
    });
  });

  it('setMember() PUTs {role} with every segment encoded', async () => {
    const member: MemberModel = {
      kind: 'group',
      name: 'data science/eu',
      role: 'editor'
    };
    const { client, call } = setup(() => jsonResponse(member));
    await expect(
      client.setMember('my proj', 'group', 'data science/eu', 'editor')
    ).resolves.toEqual(member);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/my%20proj/members/group/data%20science%2Feu`,
      method: 'PUT',
      body: { role: 'editor' }
    });
  });

  it('removeMember() sends DELETE and copes with 204 No Content', async () => {
    const { client, call } = setup(() => new Response(null, { status: 204 }));
    await expect(
      client.removeMember('churn', 'user', 'bob smith')
    ).resolves.toBeUndefined();
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/members/user/bob%20smith`,
      method: 'DELETE',
      body: undefined
    });
  });

  it('resolves to undefined for a 200 with an empty body', async () => {
    const { client } = setup(() => new Response('', { status: 200 }));
    await expect(
      client.removeMember('churn', 'user', 'bob')
    ).resolves.toBeUndefined();
  });

  it('listAudit() GETs the audit log', async () => {
    const audit: AuditList = {
      events: [
        {
          id: 1,
          at: '2024-05-01T12:00:00+00:00',
          actor: 'alice',
          project: 'churn',
          action: 'project.create',
          details: { template: 'empty' }
        }
      ]
    };
    const { client, call } = setup(() => jsonResponse(audit));
    await expect(client.listAudit('churn')).resolves.toEqual(audit);
    expect(call().url).toBe(`${BASE}api/projects/churn/audit`);
  });
});

describe('ScaleLabClient preferences', () => {
  it('getPreferences() GETs api/me/preferences', async () => {
    const prefs: PreferencesModel = { preferences: { project: 'churn' } };
    const { client, call } = setup(() => jsonResponse(prefs));
    await expect(client.getPreferences()).resolves.toEqual(prefs);
    expect(call()).toMatchObject({
      url: `${BASE}api/me/preferences`,
      method: 'GET'
    });
  });

  it('setPreferences() PUTs {preferences}', async () => {
    const prefs = { project: 'churn', theme: 'dark' };
    const { client, call } = setup(() => jsonResponse({ preferences: prefs }));
    await expect(client.setPreferences(prefs)).resolves.toEqual({
      preferences: prefs
    });
    expect(call()).toMatchObject({
      url: `${BASE}api/me/preferences`,
      method: 'PUT',
      body: { preferences: prefs }
    });
  });
});

describe('ScaleLabClient errors on the new endpoints', () => {
  it('createProject() throws ScaleLabAPIError with the server message', async () => {
    const { client } = setup(() =>
      jsonResponse(
        {
          status: 400,
          message: "invalid slug 'Bad Slug': use lowercase letters",
          request_id: 'req-7'
        },
        400
      )
    );
    const err = await client
      .createProject({ slug: 'Bad Slug' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect(err).toMatchObject({
      status: 400,
      message: "invalid slug 'Bad Slug': use lowercase letters",
      requestId: 'req-7'
    });
  });

  it('removeMember() throws ScaleLabAPIError for a 409', async () => {
    const { client } = setup(() =>
      jsonResponse(
        { status: 409, message: 'a project keeps at least one owner' },
        409
      )
    );
    const err = await client
      .removeMember('churn', 'user', 'alice')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect((err as ScaleLabAPIError).status).toBe(409);
    expect((err as ScaleLabAPIError).message).toBe(
      'a project keeps at least one owner'
    );
    expect((err as ScaleLabAPIError).requestId).toBeUndefined();
  });

  it('uses the HTTP status for an empty error body', async () => {
    const { client } = setup(
      () => new Response('', { status: 404, statusText: 'Not Found' })
    );
    const err = await client.getProject('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect(err).toMatchObject({ status: 404, message: 'Not Found' });
  });
});
