import { describe, expect, it } from 'vitest';

import {
  type CronPreview,
  type NotificationModel,
  ScaleLabAPIError,
  type ScheduleHistory
} from '../../src/common/api';
import { BASE, jsonResponse, setup } from '../fakeclient';
import { SCHEDULE } from '../schedulefixtures';

describe('ScaleLabClient schedules', () => {
  it('listSchedules() GETs the schedules of a project', async () => {
    const { client, call } = setup(() => jsonResponse({ schedules: [SCHEDULE] }));
    await expect(client.listSchedules('my proj')).resolves.toEqual({
      schedules: [SCHEDULE]
    });
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/my%20proj/schedules`,
      method: 'GET',
      body: undefined
    });
  });

  it('createSchedule() POSTs the ScheduleCreate body and parses the 201', async () => {
    const { client, call } = setup(() => jsonResponse(SCHEDULE, 201));
    const body = {
      name: 'nightly',
      target: 'train.ipynb',
      cron: '0 6 * * *',
      timezone: 'Europe/Paris',
      parameters: { epochs: 3 },
      misfire: 'skip' as const,
      misfire_deadline: 600,
      concurrency: 'replace' as const,
      notify: 'always' as const,
      webhook_url: 'https://hooks.example.com/x'
    };
    await expect(client.createSchedule('churn', body)).resolves.toEqual(SCHEDULE);
    const c = call();
    expect(c).toMatchObject({
      url: `${BASE}api/projects/churn/schedules`,
      method: 'POST',
      body
    });
    expect(c.headers.get('Content-Type')).toBe('application/json');
  });

  it('createSchedule() throws the 400/409 message', async () => {
    const { client } = setup(() =>
      jsonResponse({ status: 409, message: 'project is archived' }, 409)
    );
    const err = await client
      .createSchedule('churn', { name: 'n', target: 't.ipynb', cron: '* * * * *' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScaleLabAPIError);
    expect((err as ScaleLabAPIError).status).toBe(409);
    expect((err as ScaleLabAPIError).message).toBe('project is archived');
  });

  it('getSchedule(), updateSchedule() and deleteSchedule() use the schedule id', async () => {
    const { client, call, fetch } = setup(() => jsonResponse(SCHEDULE));
    await client.getSchedule('churn', 7);
    await client.updateSchedule('churn', 7, { paused: true });
    fetch.mockImplementationOnce(async () => new Response(null, { status: 204 }));
    await expect(client.deleteSchedule('churn', 7)).resolves.toBeUndefined();
    expect(call(0)).toMatchObject({
      url: `${BASE}api/projects/churn/schedules/7`,
      method: 'GET'
    });
    expect(call(1)).toMatchObject({
      url: `${BASE}api/projects/churn/schedules/7`,
      method: 'PATCH',
      body: { paused: true }
    });
    expect(call(2)).toMatchObject({
      url: `${BASE}api/projects/churn/schedules/7`,
      method: 'DELETE',
      body: undefined
    });
  });

  it('scheduleHistory() GETs the history', async () => {
    const history: ScheduleHistory = {
      schedule: 7,
      events: [
        {
          due_at: '2024-05-02T04:00:00Z',
          at: '2024-05-02T04:00:01Z',
          outcome: 'queued',
          run_id: 'r1',
          run_status: 'succeeded',
          detail: ''
        }
      ]
    };
    const { client, call } = setup(() => jsonResponse(history));
    await expect(client.scheduleHistory('churn', 7)).resolves.toEqual(history);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/schedules/7/history`,
      method: 'GET'
    });
  });

  it('previewCron() POSTs cron and timezone', async () => {
    const preview: CronPreview = {
      cron: '0 6 * * *',
      timezone: 'UTC',
      next_fire_times: ['2024-05-02T06:00:00Z'],
      shortest_interval: 86400
    };
    const { client, call } = setup(() => jsonResponse(preview));
    await expect(
      client.previewCron('churn', { cron: '0 6 * * *', timezone: 'UTC' })
    ).resolves.toEqual(preview);
    expect(call()).toMatchObject({
      url: `${BASE}api/projects/churn/schedules/preview`,
      method: 'POST',
      body: { cron: '0 6 * * *', timezone: 'UTC' }
    });
  });

  it('listNotifications() GETs with and without after', async () => {
    const notification: NotificationModel = {
      id: 12,
      project: 'churn',
      at: '2024-05-02T04:10:00Z',
      level: 'error',
      title: 'Scheduled run failed: nightly',
      message: 'Run r1 of train.ipynb in project churn failed',
      links: { output: 'https://hub/hub/user-redirect/lab/tree/runs/churn/r1/train.ipynb' },
      run_id: 'r1',
      schedule_id: 7,
      webhook: '',
      webhook_detail: null
    };
    const { client, call } = setup(() => jsonResponse({ notifications: [notification] }));
    await expect(client.listNotifications()).resolves.toEqual({
      notifications: [notification]
    });
    await client.listNotifications(null);
    await client.listNotifications(0);
    await client.listNotifications(12);
    expect(call(0)).toMatchObject({ url: `${BASE}api/notifications`, method: 'GET' });
    expect(call(1).url).toBe(`${BASE}api/notifications`);
    expect(call(2).url).toBe(`${BASE}api/notifications?after=0`);
    expect(call(3).url).toBe(`${BASE}api/notifications?after=12`);
  });
});
