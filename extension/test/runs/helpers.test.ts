import { describe, expect, it } from 'vitest';

import { type ParameterModel, type RunModel, type StepModel } from '../../src/common/api';
import {
  canCancelRuns,
  changedParameters,
  compareTarget,
  defaultValue,
  formatAttempts,
  formatDuration,
  formatParameters,
  formatQueuePlace,
  formatSeconds,
  formatStarted,
  hasActiveRuns,
  initialRaw,
  isActiveStatus,
  jsonEqual,
  parameterControl,
  previousRunWithStep,
  readValue,
  runnableKind,
  sortRuns,
  splitProjectPath,
  statusClass,
  upsertRun
} from '../../src/runs/helpers';

/** A parameter with the JSON default `def`, or with no literal default (`source`). */
function param(
  type: string,
  def: unknown,
  name = 'p',
  source: string | null = null
): ParameterModel {
  return { name, type, default: source === null ? def : null, default_source: source, help: '' };
}

function step(overrides: Partial<StepModel> = {}): StepModel {
  return {
    name: 'train',
    notebook: 'train.ipynb',
    status: 'succeeded',
    parameters: {},
    kernel: 'python3',
    started_at: '2024-05-01T12:00:00+00:00',
    finished_at: '2024-05-01T12:00:05+00:00',
    attempts: 1,
    error: null,
    failed_cell: null,
    reused_from: null,
    output: 'runs/churn/r/train.ipynb',
    lineage: null,
    tracking_run_id: null,
    profiles: {},
    ...overrides
  };
}

function run(id: string, created_at: string, overrides: Partial<RunModel> = {}): RunModel {
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
    steps: [step()],
    tracking: null,
    ...overrides
  };
}

describe('splitProjectPath()', () => {
  it('splits projects/<slug>/<relative>', () => {
    expect(splitProjectPath('projects/churn/train.ipynb')).toEqual({
      slug: 'churn',
      relative: 'train.ipynb'
    });
    expect(splitProjectPath('/projects/churn/sub/pipeline.yaml')).toEqual({
      slug: 'churn',
      relative: 'sub/pipeline.yaml'
    });
    expect(splitProjectPath('RTC:projects/churn/a.ipynb')).toEqual({
      slug: 'churn',
      relative: 'a.ipynb'
    });
    expect(splitProjectPath('projects//churn/./a b.ipynb')).toEqual({
      slug: 'churn',
      relative: 'a b.ipynb'
    });
  });

  it('returns null outside a project', () => {
    expect(splitProjectPath('train.ipynb')).toBeNull();
    expect(splitProjectPath('projects/churn')).toBeNull();
    expect(splitProjectPath('projects/churn/')).toBeNull();
    expect(splitProjectPath('other/churn/train.ipynb')).toBeNull();
    expect(splitProjectPath('home/projects/churn/train.ipynb')).toBeNull();
    expect(splitProjectPath('projects/churn/../x.ipynb')).toBeNull();
    expect(splitProjectPath('')).toBeNull();
    expect(splitProjectPath(null)).toBeNull();
  });
});

describe('runnableKind()', () => {
  it('knows notebooks and pipelines', () => {
    expect(runnableKind('a/b.ipynb')).toBe('notebook');
    expect(runnableKind('pipeline.yaml')).toBe('pipeline');
    expect(runnableKind('P.YML')).toBe('pipeline');
    expect(runnableKind('a.py')).toBeNull();
  });
});

describe('defaultValue() and initialRaw()', () => {
  it('takes the JSON defaults that fit the type', () => {
    expect(defaultValue(param('str', 'abc'))).toBe('abc');
    expect(defaultValue(param('int', 10))).toBe(10);
    expect(defaultValue(param('int', -3))).toBe(-3);
    expect(defaultValue(param('float', 0.25))).toBe(0.25);
    expect(defaultValue(param('float', 1))).toBe(1);
    expect(defaultValue(param('bool', true))).toBe(true);
    expect(defaultValue(param('bool', false))).toBe(false);
    expect(defaultValue(param('list', ['a', 'b', null]))).toEqual(['a', 'b', null]);
    expect(defaultValue(param('dict', { lr: 0.1, deep: true }))).toEqual({
      lr: 0.1,
      deep: true
    });
    expect(defaultValue(param('None', null))).toBeNull();
    expect(defaultValue(param('None', 'x'))).toBe('x');
  });

  it('is undefined for expressions and mismatched types', () => {
    expect(defaultValue(param('str', null, 'p', 'os.environ["X"]'))).toBeUndefined();
    expect(defaultValue(param('None', null, 'p', 'date.today()'))).toBeUndefined();
    expect(defaultValue(param('int', 2.5))).toBeUndefined();
    expect(defaultValue(param('bool', 1))).toBeUndefined();
    expect(defaultValue(param('list', {}))).toBeUndefined();
  });

  it('gives what the form shows first', () => {
    expect(initialRaw(param('str', 'abc'))).toBe('abc');
    expect(initialRaw(param('str', null, 'p', 'x.y'))).toBe('x.y');
    expect(initialRaw(param('int', 10))).toBe('10');
    expect(initialRaw(param('float', 1))).toBe('1');
    expect(initialRaw(param('int', null, 'p', 'N'))).toBe('');
    expect(initialRaw(param('bool', true))).toBe(true);
    expect(initialRaw(param('list', [1, 'a']))).toBe('[1,"a"]');
    expect(initialRaw(param('list', null, 'p', '(1, 2)'))).toBe('(1, 2)');
    expect(initialRaw(param('None', null))).toBe('null');
    expect(initialRaw(param('None', 'a'))).toBe('"a"');
  });

  it('maps types to controls', () => {
    expect(parameterControl({ type: 'int' })).toBe('integer');
    expect(parameterControl({ type: 'float' })).toBe('number');
    expect(parameterControl({ type: 'bool' })).toBe('checkbox');
    expect(parameterControl({ type: 'str' })).toBe('text');
    expect(parameterControl({ type: 'list' })).toBe('json');
    expect(parameterControl({ type: 'dict' })).toBe('json');
    expect(parameterControl({ type: 'None' })).toBe('text');
  });
});

describe('readValue()', () => {
  it('reads typed values', () => {
    expect(readValue(param('int', 1), ' 42 ')).toBe(42);
    expect(readValue(param('int', 1), '-7')).toBe(-7);
    expect(readValue(param('float', 1), '2.5e3')).toBe(2500);
    expect(readValue(param('float', 1), '3')).toBe(3);
    expect(readValue(param('bool', true), false)).toBe(false);
    expect(readValue(param('bool', true), 'True')).toBe(true);
    expect(readValue(param('str', ''), ' keep spaces ')).toBe(' keep spaces ');
    expect(readValue(param('list', []), '[1, "a", true]')).toEqual([1, 'a', true]);
    expect(readValue(param('list', []), '["a", null]')).toEqual(['a', null]);
    expect(() => readValue(param('list', []), "['a']")).toThrow(/not valid JSON/);
    expect(readValue(param('dict', {}), '{"a": {"b": [1]}}')).toEqual({ a: { b: [1] } });
    expect(readValue(param('None', null), 'null')).toBeNull();
    expect(readValue(param('None', null), 'None')).toBeNull();
    expect(readValue(param('None', null), '"3"')).toBe('3');
    expect(readValue(param('None', null), '3')).toBe(3);
    expect(readValue(param('None', null), 'hello world')).toBe('hello world');
  });

  it('throws clear errors naming the parameter', () => {
    expect(() => readValue(param('int', 1, 'epochs'), 'ten')).toThrow(
      'epochs: expected an integer, got "ten"'
    );
    expect(() => readValue(param('int', 1, 'epochs'), '1.5')).toThrow(
      /epochs: expected an integer/
    );
    expect(() => readValue(param('int', 1, 'epochs'), '')).toThrow(
      'epochs: enter an integer'
    );
    expect(() => readValue(param('int', 1, 'n'), '99999999999999999999')).toThrow(
      /too large/
    );
    expect(() => readValue(param('float', 1, 'lr'), 'fast')).toThrow(
      'lr: expected a number, got "fast"'
    );
    expect(() => readValue(param('float', 1, 'lr'), 'Infinity')).toThrow(/lr:/);
    expect(() => readValue(param('bool', true, 'deep'), 'maybe')).toThrow(
      /deep: expected true or false/
    );
    expect(() => readValue(param('list', [], 'tags'), '[1,')).toThrow(
      'tags: not valid JSON: [1,'
    );
    expect(() => readValue(param('list', [], 'tags'), '{"a": 1}')).toThrow(
      'tags: expected a JSON list, e.g. [1, 2], got an object'
    );
    expect(() => readValue(param('dict', {}, 'cfg'), '[1]')).toThrow(
      /cfg: expected a JSON object.*got a list/
    );
    expect(() => readValue(param('dict', {}, 'cfg'), ' ')).toThrow(/cfg: enter/);
    expect(() => readValue(param('int', 1, 'n'), true)).toThrow(Error);
  });
});

describe('changedParameters()', () => {
  const params = [
    param('int', 10, 'epochs'),
    param('float', 0.1, 'lr'),
    param('bool', false, 'deep'),
    param('str', 'adam', 'optimizer'),
    param('list', ['a'], 'tags'),
    param('str', null, 'env', 'os.environ["X"]')
  ];

  it('keeps only the values that differ from the defaults', () => {
    expect(
      changedParameters(params, {
        epochs: '10',
        lr: '0.10',
        deep: false,
        optimizer: 'adam',
        tags: '[ "a" ]',
        env: 'os.environ["X"]'
      })
    ).toEqual({});
    expect(
      changedParameters(params, {
        epochs: '20',
        lr: '0.1',
        deep: true,
        optimizer: 'sgd',
        tags: '["a", "b"]',
        env: 'prod'
      })
    ).toEqual({
      epochs: 20,
      deep: true,
      optimizer: 'sgd',
      tags: ['a', 'b'],
      env: 'prod'
    });
  });

  it('skips missing controls and throws on invalid input', () => {
    expect(changedParameters(params, { epochs: '3' })).toEqual({ epochs: 3 });
    expect(() => changedParameters(params, { epochs: 'x' })).toThrow(/epochs/);
  });

  it('jsonEqual() compares JSON values deeply', () => {
    expect(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
  });
});

describe('run statuses, sorting and formatting', () => {
  it('knows active statuses and their classes', () => {
    expect(isActiveStatus('queued')).toBe(true);
    expect(isActiveStatus('running')).toBe(true);
    expect(isActiveStatus('succeeded')).toBe(false);
    expect(hasActiveRuns([{ status: 'failed' }, { status: 'running' }])).toBe(true);
    expect(hasActiveRuns([{ status: 'failed' }, { status: 'cancelled' }])).toBe(false);
    expect(statusClass('succeeded')).toBe('jp-mod-succeeded');
    expect(statusClass('weird')).toBe('jp-mod-unknown');
  });

  it('sorts runs newest first, then by id', () => {
    const a = run('20240501-120000-a', '2024-05-01T12:00:00+00:00');
    const b = run('20240501-130000-b', '2024-05-01T13:00:00+00:00');
    const c = run('20240501-130000-c', '2024-05-01T13:00:00+00:00');
    expect(sortRuns([a, b, c]).map(r => r.id)).toEqual([c.id, b.id, a.id]);
    const updated = { ...a, status: 'failed' as const };
    expect(upsertRun([c, b, a], updated)).toEqual([c, b, updated]);
  });

  it('formats durations, start times, parameters and attempts', () => {
    expect(formatSeconds(5)).toBe('5s');
    expect(formatSeconds(2.5)).toBe('2.5s');
    expect(formatSeconds(125)).toBe('2m 05s');
    expect(formatSeconds(3720)).toBe('1h 02m');
    expect(formatSeconds(3 * 86400 + 4 * 3600 + 60)).toBe('3d 4h');
    expect(formatSeconds(-1)).toBe('');
    expect(formatDuration(step())).toBe('5s');
    expect(
      formatDuration(
        { started_at: '2024-05-01T12:00:00Z', finished_at: null },
        Date.parse('2024-05-01T12:01:30Z')
      )
    ).toBe('1m 30s');
    expect(formatDuration({ started_at: null, finished_at: null })).toBe('');
    expect(
      formatStarted({ started_at: null, created_at: '2024-05-01T12:00:00.5+00:00' })
    ).toBe('2024-05-01 12:00:00');
    expect(formatParameters({ epochs: 3, name: 'x', tags: ['a'] })).toBe(
      'epochs=3 name=x tags=["a"]'
    );
    expect(formatParameters({})).toBe('');
    expect(formatAttempts(1)).toBe('1 attempt');
    expect(formatAttempts(2)).toBe('2 attempts');
    expect(formatQueuePlace({ status: 'queued', queue_position: 2 })).toBe(
      'place 2 in the queue'
    );
    expect(formatQueuePlace({ status: 'queued', queue_position: null })).toBe('');
    expect(formatQueuePlace({ status: 'running', queue_position: null })).toBe('');
  });

  it('lets runners and hub admins cancel runs', () => {
    expect(canCancelRuns({ my_role: 'viewer' }, { admin: false })).toBe(false);
    expect(canCancelRuns({ my_role: 'runner' }, null)).toBe(true);
    expect(canCancelRuns({ my_role: 'owner' }, null)).toBe(true);
    expect(canCancelRuns({ my_role: null }, { admin: true })).toBe(true);
    expect(canCancelRuns(null, null)).toBe(false);
  });
});

describe('previousRunWithStep() and compareTarget()', () => {
  const old = run('r1', '2024-05-01T10:00:00Z');
  const failed = run('r2', '2024-05-01T11:00:00Z', {
    status: 'failed',
    steps: [step({ status: 'failed' })]
  });
  const cancelled = run('r3', '2024-05-01T11:30:00Z', {
    status: 'cancelled',
    steps: [step({ status: 'cancelled' })]
  });
  const other = run('r4', '2024-05-01T11:45:00Z', { target: 'other.ipynb' });
  const current = run('r5', '2024-05-01T12:00:00Z');
  const runs = sortRuns([old, failed, cancelled, other, current]);

  it('finds the newest earlier run of the target with a finished step', () => {
    expect(previousRunWithStep(runs, current, 'train')?.id).toBe('r2');
    expect(previousRunWithStep(runs, failed, 'train')?.id).toBe('r1');
    expect(previousRunWithStep(runs, old, 'train')).toBeNull();
    expect(previousRunWithStep(runs, current, 'evaluate')).toBeNull();
    expect(previousRunWithStep(runs, other, 'train')).toBeNull();
  });

  it('needs an output of the step itself', () => {
    expect(compareTarget(runs, current, current.steps[0])?.id).toBe('r2');
    expect(compareTarget(runs, current, step({ output: null }))).toBeNull();
  });
});
