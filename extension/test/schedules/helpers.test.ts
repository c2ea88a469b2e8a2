import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { type CronPreview, type ParameterModel, ScaleLabAPIError } from '../../src/common/api';
import { rawFromValue, readValue } from '../../src/runs/helpers';
import {
  canEditSchedules,
  CronPreviewer,
  type CronPreviewState,
  DEFAULT_CRON,
  fileStem,
  formatCron,
  formatFireTime,
  formatNextFire,
  newScheduleRaw,
  outcomeClass,
  PREVIEW_DELAY,
  readScheduleForm,
  scheduleCreateBody,
  scheduleRaw,
  scheduleUpdateBody,
  sortSchedules
} from '../../src/schedules/helpers';
import { schedule } from '../schedulefixtures';

function preview(cron: string, timezone: string): CronPreview {
  return {
    cron,
    timezone,
    next_fire_times: ['2024-05-02T04:00:00Z'],
    shortest_interval: 86400
  };
}

describe('formatFireTime', () => {
  it('formats in the given timezone', () => {
    expect(formatFireTime('2024-05-01T04:00:00Z', 'Europe/Paris')).toBe(
      'Wed 2024-05-01 06:00 GMT+2'
    );
    expect(formatFireTime('2024-05-01T04:00:00+00:00', 'UTC')).toBe(
      'Wed 2024-05-01 04:00 UTC'
    );
    expect(formatFireTime('2024-12-31T23:30:00Z', 'Asia/Tokyo')).toBe(
      'Wed 2025-01-01 08:30 GMT+9'
    );
  });

  it('shows midnight as 00:00, follows daylight saving time', () => {
    expect(formatFireTime('2024-01-15T23:00:00Z', 'Europe/Paris')).toBe(
      'Tue 2024-01-16 00:00 GMT+1'
    );
    expect(formatFireTime('2024-07-15T22:00:00Z', 'Europe/Paris')).toBe(
      'Tue 2024-07-16 00:00 GMT+2'
    );
  });

  it('falls back to UTC for an unknown timezone, to the text for a non-date', () => {
    expect(formatFireTime('2024-05-01T04:00:00Z', 'Mars/Olympus')).toBe(
      'Wed 2024-05-01 04:00 UTC'
    );
    expect(formatFireTime('soon', 'UTC')).toBe('soon');
  });

  it('formatNextFire and formatCron', () => {
    expect(formatNextFire(schedule())).toBe('Thu 2024-05-02 06:00 GMT+2');
    expect(formatNextFire(schedule({ paused: true }))).toBe('paused');
    expect(formatNextFire(schedule({ next_fire_at: null }))).toBe('paused');
    expect(formatCron(schedule())).toBe('0 6 * * * (Europe/Paris)');
  });
});

describe('canEditSchedules', () => {
  it('needs editor or more', () => {
    expect(canEditSchedules({ my_role: 'viewer' }, { admin: false })).toBe(false);
    expect(canEditSchedules({ my_role: 'runner' }, { admin: false })).toBe(false);
    expect(canEditSchedules({ my_role: 'editor' }, { admin: false })).toBe(true);
    expect(canEditSchedules({ my_role: 'deployer' }, null)).toBe(true);
    expect(canEditSchedules({ my_role: 'owner' }, undefined)).toBe(true);
  });

  it('lets hub admins edit, members or not', () => {
    expect(canEditSchedules({ my_role: null }, { admin: true })).toBe(true);
    expect(canEditSchedules({ my_role: 'viewer' }, { admin: true })).toBe(true);
    expect(canEditSchedules({ my_role: null }, { admin: false })).toBe(false);
    expect(canEditSchedules({ my_role: null }, null)).toBe(false);
  });

  it('is false without a project', () => {
    expect(canEditSchedules(null, { admin: true })).toBe(false);
  });
});

describe('schedule form', () => {
  it('starts a new schedule with the file stem, 06:00 daily and the timezone', () => {
    expect(fileStem('sub/train model.ipynb')).toBe('train model');
    expect(fileStem('pipeline.yaml')).toBe('pipeline');
    expect(fileStem('.hidden')).toBe('.hidden');
    const raw = newScheduleRaw('reports/weekly.yml', 'Europe/Paris');
    expect(raw).toMatchObject({
      name: 'weekly',
      cron: DEFAULT_CRON,
      timezone: 'Europe/Paris',
      retries: '0',
      misfire: 'run_once',
      misfire_deadline: '3600',
      concurrency: 'forbid',
      notify: 'failure',
      webhook_url: '',
      fresh: true
    });
    expect(DEFAULT_CRON).toBe('0 6 * * *');
  });

  it('reads a valid form into a create body', () => {
    const raw = {
      ...newScheduleRaw('train.ipynb', 'UTC'),
      cron: ' 0  6 * * 1-5 ',
      timeout: '600',
      retries: '2',
      misfire: 'skip',
      concurrency: 'replace',
      notify: 'always',
      webhook_url: 'https://hooks.example.com/T/B/x'
    };
    const { value, errors } = readScheduleForm(raw);
    expect(errors).toEqual({});
    expect(value).not.toBeNull();
    expect(scheduleCreateBody('train.ipynb', value!, { epochs: 5 })).toEqual({
      name: 'train',
      target: 'train.ipynb',
      cron: '0 6 * * 1-5',
      timezone: 'UTC',
      parameters: { epochs: 5 },
      timeout: 600,
      retries: 2,
      fresh: true,
      misfire: 'skip',
      misfire_deadline: 3600,
      concurrency: 'replace',
      notify: 'always',
      webhook_url: 'https://hooks.example.com/T/B/x'
    });
  });

  it('leaves out an empty timeout and webhook', () => {
    const { value } = readScheduleForm(newScheduleRaw('train.ipynb', 'UTC'));
    const body = scheduleCreateBody('train.ipynb', value!, {});
    expect(body).not.toHaveProperty('timeout');
    expect(body).not.toHaveProperty('webhook_url');
  });

  it('reports each wrong field', () => {
    const { value, errors } = readScheduleForm({
      ...newScheduleRaw('train.ipynb', 'UTC'),
      name: ' ',
      cron: '',
      timezone: '',
      timeout: '-1',
      retries: '6',
      misfire: 'later',
      misfire_deadline: '30',
      concurrency: 'queue',
      notify: 'sometimes',
      webhook_url: 'ftp://example.com'
    });
    expect(value).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(
      [
        'concurrency',
        'cron',
        'misfire',
        'misfire_deadline',
        'name',
        'notify',
        'retries',
        'timeout',
        'timezone',
        'webhook_url'
      ].sort()
    );
  });

  it('PATCHes only the changed fields', () => {
    const current = schedule({ webhook: 'https://hooks.example.com/…', timeout: 60 });
    const raw = scheduleRaw(current);
    expect(raw.webhook_url).toBe('');
    expect(raw.timeout).toBe('60');
    const unchanged = readScheduleForm(raw).value!;
    expect(scheduleUpdateBody(current, unchanged, { epochs: 3 })).toEqual({});
    expect(scheduleUpdateBody(current, unchanged, null)).toEqual({});

    const edited = readScheduleForm({
      ...raw,
      cron: '30 7 * * *',
      timeout: '',
      notify: 'never'
    }).value!;
    expect(scheduleUpdateBody(current, edited, { epochs: 4 })).toEqual({
      cron: '30 7 * * *',
      timeout: null,
      notify: 'never',
      parameters: { epochs: 4 }
    });
  });

  it('replaces or removes the webhook', () => {
    const current = schedule({ webhook: 'https://hooks.example.com/…' });
    const raw = scheduleRaw(current);
    const replaced = readScheduleForm({ ...raw, webhook_url: 'https://new.example.com/h' });
    expect(scheduleUpdateBody(current, replaced.value!, null)).toEqual({
      webhook_url: 'https://new.example.com/h'
    });
    const removed = readScheduleForm({
      ...raw,
      webhook_url: 'https://new.example.com/h',
      remove_webhook: true
    });
    expect(scheduleUpdateBody(current, removed.value!, null)).toEqual({ webhook_url: '' });
    // Nothing to remove.
    const none = readScheduleForm({ ...scheduleRaw(schedule()), remove_webhook: true });
    expect(scheduleUpdateBody(schedule(), none.value!, null)).toEqual({});
  });
});

describe('CronPreviewer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function previewer(request: (cron: string, tz: string) => Promise<CronPreview>) {
    const states: CronPreviewState[] = [];
    const spy = vi.fn(request);
    const p = new CronPreviewer({ request: spy, onChange: s => states.push(s) });
    return { p, spy, states };
  }

  it('waits 300 ms after the last change, then asks once', async () => {
    const { p, spy } = previewer(async (c, tz) => preview(c, tz));
    expect(PREVIEW_DELAY).toBe(300);
    p.update('0 6 * * *', 'UTC');
    expect(p.state.status).toBe('pending');
    expect(p.canSave).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    p.update('0 7 * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(200);
    p.update('0 8 * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(299);
    expect(spy).not.toHaveBeenCalled();
    expect(p.canSave).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith('0 8 * * *', 'UTC');
    expect(p.state.status).toBe('valid');
    expect(p.state.preview?.cron).toBe('0 8 * * *');
    expect(p.canSave).toBe(true);
  });

  it('does not ask again for the same input, normalises spaces', async () => {
    const { p, spy } = previewer(async (c, tz) => preview(c, tz));
    p.update('0 6 * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(300);
    p.update(' 0  6 * * * ', ' UTC ');
    await vi.advanceTimersByTimeAsync(300);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(p.canSave).toBe(true);
  });

  it('shows the 400 message and disables saving', async () => {
    const { p } = previewer(async () => {
      throw new ScaleLabAPIError(400, "'* * * * *' fires every 60 s at its closest");
    });
    p.update('* * * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(300);
    expect(p.state).toMatchObject({
      status: 'invalid',
      error: "'* * * * *' fires every 60 s at its closest"
    });
    expect(p.canSave).toBe(false);
  });

  it('says when the check itself failed', async () => {
    const { p } = previewer(async () => {
      throw new ScaleLabAPIError(502, 'Bad Gateway');
    });
    p.update('0 6 * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(300);
    expect(p.state.status).toBe('invalid');
    expect(p.state.error).toBe('Could not check the schedule: Bad Gateway');
  });

  it('is invalid at once for an empty cron or timezone, without asking', async () => {
    const { p, spy } = previewer(async (c, tz) => preview(c, tz));
    p.update('  ', 'UTC');
    expect(p.state.status).toBe('invalid');
    expect(p.state.error).toMatch(/cron/);
    p.update('0 6 * * *', '');
    expect(p.state.error).toMatch(/timezone/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(spy).not.toHaveBeenCalled();
    expect(p.canSave).toBe(false);
  });

  it('drops the answer to older input', async () => {
    let release: (v: CronPreview) => void = () => undefined;
    const { p, spy } = previewer(
      (c, tz) =>
        c === '0 6 * * *'
          ? new Promise<CronPreview>(resolve => {
              release = resolve;
            })
          : Promise.resolve(preview(c, tz))
    );
    p.update('0 6 * * *', 'UTC');
    await vi.advanceTimersByTimeAsync(300);
    p.update('0 9 * * *', 'UTC');
    expect(p.state.status).toBe('pending');
    release(preview('0 6 * * *', 'UTC'));
    await vi.advanceTimersByTimeAsync(0);
    expect(p.state.status).toBe('pending');
    expect(p.canSave).toBe(false);
    await vi.advanceTimersByTimeAsync(300);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(p.state.preview?.cron).toBe('0 9 * * *');
    expect(p.canSave).toBe(true);
  });

  it('stops after dispose', async () => {
    const { p, spy } = previewer(async (c, tz) => preview(c, tz));
    p.update('0 6 * * *', 'UTC');
    p.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('schedule lists', () => {
  it('sorts by name, then id', () => {
    const sorted = sortSchedules([
      schedule({ id: 3, name: 'b' }),
      schedule({ id: 2, name: 'A' }),
      schedule({ id: 1, name: 'b' })
    ]);
    expect(sorted.map(s => s.id)).toEqual([2, 1, 3]);
  });

  it('has a badge class per outcome', () => {
    expect(outcomeClass('queued')).toBe('jp-mod-queued');
    expect(outcomeClass('failed')).toBe('jp-mod-failed');
    expect(outcomeClass('missed')).toBe('jp-mod-cancelled');
    expect(outcomeClass('skipped')).toBe('jp-mod-skipped');
    expect(outcomeClass('other')).toBe('jp-mod-unknown');
  });
});

describe('rawFromValue (prefilling parameters from a run)', () => {
  const param = (type: string, def: unknown = null): ParameterModel => ({
    name: 'p',
    type,
    default: def,
    default_source: null,
    help: ''
  });

  it('round-trips through readValue', () => {
    const cases: [string, unknown][] = [
      ['int', 5],
      ['float', 0.25],
      ['bool', false],
      ['str', 'hello'],
      ['list', [1, 'a']],
      ['dict', { k: [1, null] }],
      ['None', '3'],
      ['None', 3],
      ['None', null],
      ['None', 'text']
    ];
    for (const [type, value] of cases) {
      const p = param(type);
      expect(readValue(p, rawFromValue(p, value))).toEqual(value);
    }
  });

  it('shows checkboxes and numbers as the form does', () => {
    expect(rawFromValue(param('bool', false), true)).toBe(true);
    expect(rawFromValue(param('int', 1), 7)).toBe('7');
    expect(rawFromValue(param('str', 'a'), 'b')).toBe('b');
  });
});
