import { describe, expect, it } from 'vitest';

import { BASE, jsonResponse, setup } from '../fakeclient';
import { monitor } from '../monitorfixtures';

const M = monitor('tumours-drift');
const PATH = `${BASE}api/projects/churn/monitors`;

describe('ScaleLabClient monitors', () => {
  it('lists, gets and creates monitors', async () => {
    const { client, call } = setup(() => jsonResponse({ monitors: [M] }));
    expect((await client.listMonitors('churn')).monitors[0].name).toBe('tumours-drift');
    expect(call(0)).toMatchObject({ url: PATH, method: 'GET' });
    await client.getMonitor('churn', 'a b');
    expect(call(1)).toMatchObject({ url: `${PATH}/a%20b`, method: 'GET' });
    const body = { name: 'tumours-drift', endpoint: 'tumours', cron: '0 * * * *', metric: null };
    await client.createMonitor('churn', body);
    expect(call(2)).toMatchObject({ url: PATH, method: 'POST', body });
  });

  it('pauses, checks now, deletes and reads the checks', async () => {
    const { client, call } = setup(() => jsonResponse(M));
    await client.updateMonitor('churn', 'tumours-drift', { paused: true });
    expect(call(0)).toMatchObject({
      url: `${PATH}/tumours-drift`,
      method: 'PATCH',
      body: { paused: true }
    });
    await client.checkMonitor('churn', 'tumours-drift');
    expect(call(1)).toMatchObject({ url: `${PATH}/tumours-drift/check`, method: 'POST' });
    await client.deleteMonitor('churn', 'tumours-drift');
    expect(call(2)).toMatchObject({ url: `${PATH}/tumours-drift`, method: 'DELETE' });
    await client.monitorChecks('churn', 'tumours-drift');
    expect(call(3)).toMatchObject({ url: `${PATH}/tumours-drift/checks`, method: 'GET' });
  });
});
