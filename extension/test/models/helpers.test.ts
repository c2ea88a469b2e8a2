import { describe, expect, it } from 'vitest';

import { formatRelativeTime, singleLine } from '../../src/common/helpers';
import {
  canDeploy,
  newRegisterRaw,
  parseAliases,
  readRegisterForm,
  sortModels,
  sortVersions,
  upsertModel
} from '../../src/models/helpers';
import { stepTrackingUrl } from '../../src/runs/helpers';
import { registeredModel, version } from '../fixtures';

describe('canDeploy()', () => {
  it('is for deployers, owners and hub admins', () => {
    expect(canDeploy({ my_role: 'editor' }, { admin: false })).toBe(false);
    expect(canDeploy({ my_role: 'deployer' }, null)).toBe(true);
    expect(canDeploy({ my_role: 'owner' }, null)).toBe(true);
    expect(canDeploy({ my_role: null }, { admin: true })).toBe(true);
    expect(canDeploy(null, null)).toBe(false);
  });
});

describe('model orders', () => {
  it('puts the newest version first, by number', () => {
    expect(sortVersions([version('2'), version('10'), version('1')]).map(v => v.version)).toEqual([
      '10',
      '2',
      '1'
    ]);
  });

  it('orders the models by name and replaces one by name', () => {
    const models = sortModels([registeredModel('b', []), registeredModel('a', [version('1')])]);
    expect(models.map(m => m.name)).toEqual(['a', 'b']);
    const updated = upsertModel(models, registeredModel('a', [version('1'), version('2')]));
    expect(updated.map(m => m.name)).toEqual(['a', 'b']);
    expect(updated[0].versions.map(v => v.version)).toEqual(['2', '1']);
  });
});

describe('the register form', () => {
  it('starts with the slug as the name and model as the path', () => {
    expect(newRegisterRaw('churn')).toEqual({
      name: 'churn',
      artifactPath: 'model',
      checked: [],
      other: ''
    });
  });

  it('reads aliases from the checkboxes and a comma list, without repeats', () => {
    expect(parseAliases(' a, b ,,a , c')).toEqual(['a', 'b', 'c']);
    const { value, error } = readRegisterForm(
      { name: ' churn ', artifactPath: '/model/', checked: ['champion'], other: 'staging, champion' },
      'r1'
    );
    expect(error).toBeNull();
    expect(value).toEqual({
      run_id: 'r1',
      name: 'churn',
      artifact_path: 'model',
      aliases: ['champion', 'staging']
    });
  });

  it('leaves the aliases out when there are none, and needs a name and a path', () => {
    expect(readRegisterForm(newRegisterRaw('churn'), 'r1').value).toEqual({
      run_id: 'r1',
      name: 'churn',
      artifact_path: 'model'
    });
    expect(readRegisterForm({ ...newRegisterRaw('churn'), name: ' ' }, 'r1')).toEqual({
      value: null,
      error: 'Enter the name of the model.'
    });
    expect(readRegisterForm({ ...newRegisterRaw('churn'), artifactPath: '' }, 'r1').error).toBe(
      'Enter the path of the model in the run (e.g. model).'
    );
  });
});

describe('formatRelativeTime() and singleLine()', () => {
  const now = Date.parse('2024-05-10T12:00:00Z');
  it('says how long ago', () => {
    expect(formatRelativeTime('2024-05-10T11:59:30Z', now)).toBe('just now');
    expect(formatRelativeTime('2024-05-10T12:00:20Z', now)).toBe('just now');
    expect(formatRelativeTime('2024-05-10T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelativeTime('2024-05-10T09:00:00Z', now)).toBe('3 hours ago');
    expect(formatRelativeTime('2024-05-09T11:00:00Z', now)).toBe('1 day ago');
    expect(formatRelativeTime('2024-03-01T11:00:00+00:00', now)).toBe('2024-03-01');
    expect(formatRelativeTime('not a time', now)).toBe('not a time');
  });

  it('puts a message on one line', () => {
    expect(singleLine(' MLflow:\n  no model\tat model \n')).toBe('MLflow: no model at model');
  });
});

describe('stepTrackingUrl()', () => {
  const tracking = { experiment_id: '1', run_id: 'abc', url: 'https://h/m/#/experiments/1/runs/abc' };
  it("is the step's nested run beside the run's", () => {
    expect(stepTrackingUrl({ tracking }, { tracking_run_id: 'def' })).toBe(
      'https://h/m/#/experiments/1/runs/def'
    );
  });

  it('is null without a run of its own, or without tracking', () => {
    expect(stepTrackingUrl({ tracking }, { tracking_run_id: 'abc' })).toBeNull();
    expect(stepTrackingUrl({ tracking }, { tracking_run_id: null })).toBeNull();
    expect(stepTrackingUrl({ tracking: null }, { tracking_run_id: 'def' })).toBeNull();
    expect(
      stepTrackingUrl({ tracking: { ...tracking, url: 'https://h/other' } }, { tracking_run_id: 'def' })
    ).toBeNull();
  });
});
