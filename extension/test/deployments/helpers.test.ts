import { describe, expect, it } from 'vitest';

import { endpointUrl } from '../../src/common/links';
import {
  canDeploy,
  curlExample,
  endpointActions,
  formatErrorRate,
  formatMs,
  formatRate,
  formatTraffic,
  pythonExample,
  readCreateForm,
  readDeployForm,
  readScaleForm,
  replicaCounts,
  sortEvents,
  stateClass,
  suggestModelUri,
  upsertEndpoint,
  versionLabel
} from '../../src/deployments/helpers';
import { deployed, deploymentEvent, endpoint, replica } from '../deploymentfixtures';

describe('endpointUrl()', () => {
  it('is the service’s serve/ path next to the hub, on this origin', () => {
    expect(endpointUrl('churn', 'tumours', { hubPrefix: '/hub/' }, 'http://127.0.0.1:8000')).toBe(
      'http://127.0.0.1:8000/services/scalelab/serve/churn/tumours/invocations'
    );
    expect(endpointUrl('churn', 'tumours', { hubPrefix: '/base/hub/' }, 'https://x.org/')).toBe(
      'https://x.org/base/services/scalelab/serve/churn/tumours/invocations'
    );
  });

  it('goes to the hub host when the hub is on another one', () => {
    expect(
      endpointUrl(
        'churn',
        'tumours',
        { hubHost: 'https://hub.example.org', hubPrefix: '/hub/' },
        'https://lab.example.org'
      )
    ).toBe('https://hub.example.org/services/scalelab/serve/churn/tumours/invocations');
  });

  it('encodes the slug and the name', () => {
    expect(endpointUrl('a b', 'c/d', { hubPrefix: '/hub/' })).toBe(
      '/services/scalelab/serve/a%20b/c%2Fd/invocations'
    );
  });
});

describe('deployment helpers', () => {
  it('lets deployers, owners and hub admins act', () => {
    expect(canDeploy({ my_role: 'deployer' }, null)).toBe(true);
    expect(canDeploy({ my_role: 'owner' }, null)).toBe(true);
    expect(canDeploy({ my_role: 'editor' }, null)).toBe(false);
    expect(canDeploy({ my_role: 'viewer' }, null)).toBe(false);
    expect(canDeploy({ my_role: null }, { admin: true })).toBe(true);
  });

  it('labels versions as the service does', () => {
    expect(versionLabel(deployed('churn', '3'))).toBe('churn/3');
    expect(versionLabel({ uri: 'runs:/abc/model', name: null, version: null, run_id: 'abc' })).toBe(
      'runs:/abc/model'
    );
    expect(versionLabel(null)).toBe('—');
  });

  it('shows the traffic split', () => {
    expect(formatTraffic(endpoint('a'))).toBe('100% blue');
    expect(formatTraffic(endpoint('a', { green: deployed('churn', '2'), green_share: 10 }))).toBe(
      '90% blue · 10% green'
    );
    expect(formatTraffic(endpoint('a', { green: deployed('churn', '2'), green_share: 100 }))).toBe(
      '0% blue · 100% green'
    );
  });

  it('counts the replicas that are ready', () => {
    const e = endpoint('a', {
      replicas: [replica('1'), replica('2', { ready: false }), replica('3', { colour: 'green' })]
    });
    expect(replicaCounts(e)).toEqual({ ready: 2, total: 3 });
  });

  it('formats the stats, with a dash for what was not measured', () => {
    expect(formatRate(0)).toBe('0.0');
    expect(formatRate(12.345)).toBe('12.3');
    expect(formatRate(250.4)).toBe('250');
    expect(formatMs(null)).toBe('—');
    expect(formatMs(3.14159)).toBe('3.1 ms');
    expect(formatMs(42.6)).toBe('43 ms');
    expect(formatErrorRate(null)).toBe('—');
    expect(formatErrorRate(0)).toBe('0%');
    expect(formatErrorRate(0.025)).toBe('2.5%');
    expect(formatErrorRate(0.5)).toBe('50%');
  });

  it('styles states as the runs’ status badges', () => {
    expect(stateClass('live')).toBe('jp-mod-succeeded');
    expect(stateClass('baking')).toBe('jp-mod-running');
    expect(stateClass('starting')).toBe('jp-mod-queued');
    expect(stateClass('failed')).toBe('jp-mod-failed');
    expect(stateClass('other')).toBe('jp-mod-skipped');
  });

  it('offers the actions that make sense now', () => {
    expect(endpointActions(endpoint('a'))).toEqual({
      deploy: true,
      promote: false,
      rollback: false
    });
    expect(endpointActions(endpoint('a', { previous: deployed('churn', '0') }))).toMatchObject({
      rollback: true
    });
    expect(
      endpointActions(endpoint('a', { state: 'baking', green: deployed('churn', '2') }))
    ).toEqual({ deploy: false, promote: true, rollback: true });
    expect(endpointActions(endpoint('a', { state: 'starting', blue: null }))).toMatchObject({
      deploy: false
    });
  });

  it('suggests the next version of the live model', () => {
    expect(suggestModelUri(endpoint('a'))).toBe('models:/churn/2');
    expect(suggestModelUri(endpoint('a', { blue: null }))).toBe('models:/');
  });

  it('keeps endpoints by name and events newest first', () => {
    const list = upsertEndpoint([endpoint('b'), endpoint('c')], endpoint('a'));
    expect(list.map(e => e.name)).toEqual(['a', 'b', 'c']);
    const events = sortEvents([deploymentEvent(1, 'deploy'), deploymentEvent(3, 'switch')]);
    expect(events.map(e => e.id)).toEqual([3, 1]);
  });
});

describe('deployment forms', () => {
  it('reads a new endpoint, the log share in percent', () => {
    expect(
      readCreateForm({
        name: ' tumours ',
        modelUri: 'models:/tumours@champion',
        minReplicas: '1',
        maxReplicas: '3',
        logPercent: '10'
      })
    ).toEqual({
      value: {
        name: 'tumours',
        model_uri: 'models:/tumours@champion',
        min_replicas: 1,
        max_replicas: 3,
        request_log_rate: 0.1
      },
      error: null
    });
  });

  it('says why a new endpoint cannot be sent', () => {
    const base = {
      name: 'tumours',
      modelUri: 'models:/tumours/1',
      minReplicas: '1',
      maxReplicas: '1',
      logPercent: '0'
    };
    expect(readCreateForm({ ...base, name: 'Bad Name' }).error).toContain('lowercase');
    expect(readCreateForm({ ...base, modelUri: 's3://bucket/model' }).error).toContain(
      'models:/NAME/VERSION'
    );
    expect(readCreateForm({ ...base, minReplicas: '3', maxReplicas: '2' }).error).toBe(
      'The fewest replicas may not exceed the most.'
    );
    expect(readCreateForm({ ...base, maxReplicas: 'x' }).error).toContain('most replicas');
    expect(readCreateForm({ ...base, logPercent: '120' }).error).toContain('0 to 100%');
  });

  it('reads a version to deploy, with its canary share', () => {
    expect(readDeployForm({ modelUri: 'models:/tumours/2', canary: '10' })).toEqual({
      value: { model_uri: 'models:/tumours/2', canary: 10 },
      error: null
    });
    expect(readDeployForm({ modelUri: 'runs:/abc/model', canary: '' }).value).toEqual({
      model_uri: 'runs:/abc/model',
      canary: 0
    });
    expect(readDeployForm({ modelUri: 'models:/tumours/2', canary: '100' }).error).toContain(
      '0 to 99'
    );
    expect(readDeployForm({ modelUri: '', canary: '0' }).error).toContain('Enter the model');
  });

  it('reads the replica bounds', () => {
    expect(readScaleForm({ minReplicas: '2', maxReplicas: '4' }).value).toEqual({
      min_replicas: 2,
      max_replicas: 4
    });
    expect(readScaleForm({ minReplicas: '0', maxReplicas: '4' }).error).toContain('1 or more');
  });
});

describe('call examples', () => {
  const URL = 'http://127.0.0.1:8000/services/scalelab/serve/churn/tumours/invocations';

  it('curl POSTs JSON with an endpoint key', () => {
    const curl = curlExample(URL);
    expect(curl).toContain(`curl -X POST '${URL}'`);
    expect(curl).toContain('Authorization: Bearer $SCALELAB_ENDPOINT_KEY');
    expect(curl).toContain('Content-Type: application/json');
    expect(curl).toContain('dataframe_split');
  });

  it('Python POSTs with the hub token and prints the predictions', () => {
    const python = pythonExample(URL);
    expect(python).toContain(`"${URL}"`);
    expect(python).toContain("os.environ['JUPYTERHUB_API_TOKEN']");
    expect(python).toContain('print(response.json()["predictions"])');
  });
});
