import { describe, expect, it } from 'vitest';

import { type ProjectModel } from '../../src/common/api';
import { ProjectsModel } from '../../src/projects/model';
import { jsonResponse, routed } from '../fakeclient';
import { ALICE, project } from '../fixtures';

function setup(projects: ProjectModel[], preferences: Record<string, unknown> = {}) {
  const state = { projects, preferences, failList: false };
  const fake = routed((method, path, body) => {
    if (method === 'GET' && path === 'api/projects') {
      return state.failList
        ? jsonResponse({ detail: 'database down' }, 503)
        : jsonResponse({ projects: state.projects });
    }
    if (path === 'api/me/preferences') {
      if (method === 'PUT') {
        state.preferences = (body as { preferences: Record<string, unknown> }).preferences;
      }
      return jsonResponse({ preferences: state.preferences });
    }
    if (method === 'POST' && path === 'api/projects') {
      const created = project((body as { slug: string }).slug);
      state.projects = [...state.projects, created];
      return jsonResponse(created, 201);
    }
    if (method === 'PATCH' && path === 'api/projects/churn') {
      return jsonResponse(project('churn', body as Partial<ProjectModel>));
    }
    if (method === 'DELETE' && path === 'api/projects/churn?confirm=churn') {
      state.projects = state.projects.filter(p => p.slug !== 'churn');
      return jsonResponse({ slug: 'churn', archive: 'archive/churn.tar.gz' });
    }
    return undefined;
  });
  const model = new ProjectsModel(fake.client);
  let changes = 0;
  const current: (string | null)[] = [];
  model.changed.connect(() => {
    changes++;
  });
  model.currentChanged.connect((sender, p) => {
    current.push(p?.slug ?? null);
  });
  return { ...fake, model, state, changes: () => changes, current };
}

describe('ProjectsModel', () => {
  it('loads my projects, sorted, and restores the current one from the preferences', async () => {
    const { model, changes, current } = setup([project('zeta'), project('churn')], {
      project: 'churn'
    });
    expect(model.loaded).toBe(false);
    await model.refresh();
    expect(model.loaded).toBe(true);
    expect(model.projects.map(p => p.slug)).toEqual(['churn', 'zeta']);
    expect(model.currentSlug).toBe('churn');
    expect(model.current?.slug).toBe('churn');
    expect(changes()).toBeGreaterThan(0);
    expect(current).toEqual(['churn']);
  });

  it('keeps the projects and reports the error when a reload fails', async () => {
    const { model, state } = setup([project('churn')]);
    await model.refresh();
    state.failList = true;
    await model.refresh();
    expect(model.error?.action).toBe('load');
    expect(model.projects).toHaveLength(1);
    state.failList = false;
    await model.refresh();
    expect(model.error).toBeNull();
  });

  it('remembers the current project in the preferences', async () => {
    const { model, state, current } = setup([project('churn')], { theme: 'dark' });
    await model.refresh();
    await model.select('churn');
    expect(state.preferences).toEqual({ theme: 'dark', project: 'churn' });
    expect(current).toEqual(['churn']);
    await model.select(null);
    expect(state.preferences).toEqual({ theme: 'dark' });
    expect(current).toEqual(['churn', null]);
  });

  it('creates a project and makes it current', async () => {
    const { model, requests } = setup([]);
    await model.refresh();
    const created = await model.create({ slug: 'new-one', template: 'empty' });
    expect(created.slug).toBe('new-one');
    expect(model.currentSlug).toBe('new-one');
    expect(requests()).toContain('POST api/projects');
  });

  it('updates a project in place, and announces a deletion', async () => {
    const { model } = setup([project('churn')], { project: 'churn' });
    await model.refresh();
    await model.update('churn', { title: 'Churn' });
    expect(model.current?.title).toBe('Churn');
    const deleted: string[] = [];
    model.deleted.connect((sender, d) => {
      deleted.push(d.slug);
    });
    await model.remove('churn');
    expect(deleted).toEqual(['churn']);
    expect(model.currentSlug).toBeNull();
  });

  it('drops a current project that is gone, and knows the user', async () => {
    const { model, state } = setup([project('churn')], { project: 'churn' });
    await model.refresh();
    state.projects = [];
    await model.refresh();
    expect(model.current).toBeNull();
    model.user = ALICE;
    expect(model.user?.name).toBe('alice');
    expect(await model.ensure('churn')).toBe(false);
  });
});
