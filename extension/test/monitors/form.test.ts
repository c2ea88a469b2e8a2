import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MonitorForm } from '../../src/monitors/form';
import { byTestId, installFakeDom, type } from '../fakedom';
import { jsonResponse, routed } from '../fakeclient';
import { monitor } from '../monitorfixtures';

let uninstall: () => void;
beforeAll(() => {
  uninstall = installFakeDom();
});
afterAll(() => {
  uninstall();
});

const control = (node: HTMLElement, testid: string) =>
  byTestId(node, `scalelab-monitor-create-${testid}`)[0] as HTMLInputElement;

describe('MonitorForm', () => {
  it('creates a monitor on the first endpoint, named after it', async () => {
    const fake = routed(() => jsonResponse(monitor('tumours'), 201));
    const form = new MonitorForm(fake.client, 'churn', ['tumours', 'zeta']);
    expect(form.canSave()).toBe(true);
    type(control(form.node, 'metric'), 'f1');
    expect(await form.save()).toBe(true);
    expect(form.getValue()?.name).toBe('tumours');
    expect(fake.requests()).toEqual(['POST api/projects/churn/monitors']);
    expect(JSON.parse(String(fake.fetch.mock.calls[0][1]?.body))).toEqual({
      name: 'tumours',
      endpoint: 'tumours',
      cron: '0 * * * *',
      metric: 'f1'
    });
  });

  it('cannot be sent without an endpoint, and shows a refusal on one line', async () => {
    const none = new MonitorForm(routed(() => undefined).client, 'churn', []);
    expect(none.canSave()).toBe(false);
    const fake = routed(() => jsonResponse({ status: 409, message: 'taken:\n  pick another' }, 409));
    const form = new MonitorForm(fake.client, 'churn', ['tumours']);
    expect(await form.save()).toBe(false);
    const error = byTestId(form.node, 'scalelab-monitor-create-error')[0];
    expect(error.textContent).toBe('Not created: taken: pick another');
    type(control(form.node, 'cron'), 'hourly');
    expect(form.canSave()).toBe(false);
  });
});
