import { type ProjectModel, type RunModel, type UserModel } from '../src/common/api';

export const ALICE: UserModel = { name: 'alice', admin: false, kind: 'user', groups: [] };

export function project(slug: string, overrides: Partial<ProjectModel> = {}): ProjectModel {
  return {
    slug,
    title: '',
    archived: false,
    created_at: '2024-05-01T12:00:00+00:00',
    created_by: 'alice',
    my_role: 'owner',
    workspace: `projects/${slug}`,
    ...overrides
  };
}

export function run(id: string, overrides: Partial<RunModel> = {}): RunModel {
  const created_at = `2024-05-01T12:00:0${id.replace(/\D/g, '').slice(-1) || '0'}+00:00`;
  return {
    id,
    project: 'churn',
    kind: 'notebook',
    target: 'train.ipynb',
    status: 'succeeded',
    trigger: 'user',
    triggered_by: 'alice',
    parameters: {},
    executor: 'local',
    created_at,
    started_at: created_at,
    finished_at: null,
    error: null,
    queue_position: null,
    environment: {},
    steps: [],
    ...overrides
  };
}
