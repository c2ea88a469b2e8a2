import {
  type DeployedVersion,
  type DeploymentEventModel,
  type EndpointModel,
  type ReplicaModel
} from '../src/common/api';

export function deployed(name: string, version: string): DeployedVersion {
  return { uri: `models:/${name}/${version}`, name, version, run_id: `mlflow-${version}` };
}

export function replica(id: string, overrides: Partial<ReplicaModel> = {}): ReplicaModel {
  return {
    id,
    colour: 'blue',
    version: 'churn/1',
    ready: true,
    in_flight: 0,
    served: 0,
    ...overrides
  };
}

export function endpoint(name: string, overrides: Partial<EndpointModel> = {}): EndpointModel {
  return {
    name,
    state: 'live',
    url: `http://127.0.0.1:8000/services/scalelab/serve/churn/${name}/invocations`,
    blue: deployed('churn', '1'),
    green: null,
    previous: null,
    green_share: 0,
    min_replicas: 1,
    max_replicas: 2,
    request_log_rate: 0,
    replicas: [replica(`${name}-r1`)],
    stats: {
      requests_per_second: 0,
      p50_ms: null,
      p99_ms: null,
      error_rate: null,
      in_flight: 0
    },
    created_by: 'alice',
    created_at: '2024-05-01T12:00:00+00:00',
    updated_at: '2024-05-01T14:00:00+00:00',
    ...overrides
  };
}

export function deploymentEvent(
  id: number,
  kind: string,
  overrides: Partial<DeploymentEventModel> = {}
): DeploymentEventModel {
  return {
    id,
    at: `2024-05-01T14:0${id % 10}:00+00:00`,
    kind,
    actor: 'alice',
    version: null,
    message: `${kind} ${id}`,
    ...overrides
  };
}
