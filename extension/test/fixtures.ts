import {
  type ModelVersionModel,
  type ProjectModel,
  type RegisteredModelModel,
  type RunModel,
  type UserModel
} from '../src/common/api';

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
    tracking: null,
    ...overrides
  };
}

/** The MLflow UI of project churn, as the service links it. */
export const MLFLOW = 'https://hub.example.org/services/scalelab/mlflow/churn/';

export function version(
  number: string,
  overrides: Partial<ModelVersionModel> = {}
): ModelVersionModel {
  return {
    version: number,
    run_id: `mlflow${number}`,
    source: `models:/m-${number}`,
    status: 'READY',
    created_at: '2024-05-01T12:00:00+00:00',
    created_by: 'alice',
    aliases: [],
    scalelab_run_id: `r${number}`,
    ...overrides
  };
}

export function registeredModel(
  name: string,
  versions: ModelVersionModel[],
  overrides: Partial<RegisteredModelModel> = {}
): RegisteredModelModel {
  return {
    name,
    created_at: '2024-05-01T12:00:00+00:00',
    updated_at: '2024-05-01T12:00:00+00:00',
    url: `${MLFLOW}#/models/${encodeURIComponent(name)}`,
    versions,
    ...overrides
  };
}
