import { describe, expect, it } from 'vitest';

import {
  type AuditEvent,
  type HealthModel,
  type MemberModel,
  type ProjectModel,
  ROLES,
  type Role,
  roleAtLeast,
  ScaleLabAPIError
} from '../../src/common/api';
import {
  confirmationMatches,
  deploymentNotice,
  errorMessage,
  formatAuditEvent,
  formatDetails,
  formatMyRole,
  formatTimestamp,
  isRole,
  mergePreferences,
  preferredProject,
  projectPermissions,
  sortAuditEvents,
  sortMembers,
  sortProjects
} from '../../src/common/helpers';

function project(overrides: Partial<ProjectModel>): ProjectModel {
  return {
    slug: 'p',
    title: 'P',
    archived: false,
    created_at: '2024-01-01T00:00:00+00:00',
    created_by: 'alice',
    my_role: 'viewer',
    workspace: 'projects/p',
    ...overrides
  };
}

function event(id: number, at: string, action = 'x'): AuditEvent {
  return { id, at, actor: 'alice', project: 'p', action, details: {} };
}

describe('roles', () => {
  it('lists the roles from least to most privileged', () => {
    expect(ROLES).toEqual(['viewer', 'runner', 'editor', 'deployer', 'owner']);
  });

  it('roleAtLeast() follows the order of ROLES', () => {
    for (const [i, have] of ROLES.entries()) {
      for (const [j, needed] of ROLES.entries()) {
        expect(roleAtLeast(have, needed)).toBe(i >= j);
      }
    }
  });

  it('roleAtLeast() is false without a role or for an unknown one', () => {
    expect(roleAtLeast(null, 'viewer')).toBe(false);
    expect(roleAtLeast('superuser' as Role, 'viewer')).toBe(false);
  });

  it('isRole() accepts exactly the roles', () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(isRole('admin')).toBe(false);
    expect(isRole(3)).toBe(false);
  });
});

describe('projectPermissions() and formatMyRole()', () => {
  it('lets editors rename and owners manage', () => {
    expect(projectPermissions({ my_role: 'runner' }, null)).toEqual({
      rename: false,
      manage: false
    });
    expect(projectPermissions({ my_role: 'editor' }, { admin: false })).toEqual(
      { rename: true, manage: false }
    );
    expect(projectPermissions({ my_role: 'deployer' }, null)).toEqual({
      rename: true,
      manage: false
    });
    expect(projectPermissions({ my_role: 'owner' }, null)).toEqual({
      rename: true,
      manage: true
    });
  });

  it('lets hub admins do everything, even without a role', () => {
    expect(projectPermissions({ my_role: null }, { admin: true })).toEqual({
      rename: true,
      manage: true
    });
    expect(projectPermissions({ my_role: 'viewer' }, { admin: true })).toEqual(
      { rename: true, manage: true }
    );
  });

  it('formats my role', () => {
    expect(formatMyRole({ my_role: 'editor' })).toBe('My role: editor');
    expect(formatMyRole({ my_role: 'owner' }, { admin: true })).toBe(
      'My role: owner'
    );
    expect(formatMyRole({ my_role: null }, { admin: true })).toBe(
      'My role: none (hub admin)'
    );
    expect(formatMyRole({ my_role: null }, null)).toBe('My role: none');
  });
});

describe('preferences', () => {
  it('mergePreferences() keeps other keys and does not mutate', () => {
    const base = { theme: 'dark', project: 'old', nested: { a: 1 } };
    const merged = mergePreferences(base, { project: 'churn' });
    expect(merged).toEqual({
      theme: 'dark',
      project: 'churn',
      nested: { a: 1 }
    });
    expect(base.project).toBe('old');
    expect(merged).not.toBe(base);
  });

  it('mergePreferences() removes keys patched with undefined', () => {
    expect(
      mergePreferences({ theme: 'dark', project: 'old' }, { project: undefined })
    ).toEqual({ theme: 'dark' });
  });

  it('mergePreferences() keeps explicit null and starts from nothing', () => {
    expect(mergePreferences(null, { project: null })).toEqual({
      project: null
    });
    expect(mergePreferences(undefined, { project: 'a' })).toEqual({
      project: 'a'
    });
  });

  it('preferredProject() returns the remembered slug only if listed', () => {
    const projects = [project({ slug: 'a' }), project({ slug: 'b' })];
    expect(preferredProject({ project: 'b' }, projects)).toBe('b');
    expect(preferredProject({ project: 'gone' }, projects)).toBeNull();
    expect(preferredProject({ project: 42 }, projects)).toBeNull();
    expect(preferredProject({}, projects)).toBeNull();
    expect(preferredProject(null, projects)).toBeNull();
  });
});

describe('sorting', () => {
  it('sortProjects() puts archived last, then sorts by title and slug', () => {
    const input = [
      project({ slug: 'z', title: 'alpha', archived: true }),
      project({ slug: 'c', title: 'Beta' }),
      project({ slug: 'b', title: 'alpha' }),
      project({ slug: 'a', title: 'alpha' })
    ];
    const sorted = sortProjects(input);
    expect(sorted.map(p => p.slug)).toEqual(['a', 'b', 'c', 'z']);
    expect(input[0].slug).toBe('z');
  });

  it('sortMembers() lists users before groups, by name', () => {
    const members: MemberModel[] = [
      { kind: 'group', name: 'analysts', role: 'viewer' },
      { kind: 'user', name: 'carol', role: 'owner' },
      { kind: 'user', name: 'Bob', role: 'viewer' }
    ];
    expect(sortMembers(members).map(m => m.name)).toEqual([
      'Bob',
      'carol',
      'analysts'
    ]);
  });

  it('sortAuditEvents() lists the newest first, ties by id', () => {
    const events = [
      event(1, '2024-05-01T10:00:00+00:00'),
      event(3, '2024-05-02T09:00:00+02:00'),
      event(2, '2024-05-02T08:00:00Z'),
      event(4, '2024-05-02T08:00:00Z')
    ];
    expect(sortAuditEvents(events).map(e => e.id)).toEqual([4, 2, 3, 1]);
  });
});

describe('formatting', () => {
  it('formatTimestamp() drops fractions and offsets', () => {
    expect(formatTimestamp('2024-05-01T12:34:56.789+00:00')).toBe(
      '2024-05-01 12:34:56'
    );
    expect(formatTimestamp('not a date')).toBe('not a date');
  });

  it('formatDetails() prints key=value pairs', () => {
    expect(formatDetails({ role: 'editor', count: 2, to: { a: 1 } })).toBe(
      'role=editor count=2 to={"a":1}'
    );
    expect(formatDetails({})).toBe('');
  });

  it('formatAuditEvent() prints at actor action details', () => {
    expect(
      formatAuditEvent({
        id: 9,
        at: '2024-05-01T12:34:56+00:00',
        actor: 'alice',
        project: 'churn',
        action: 'member.set',
        details: { kind: 'user', name: 'bob', role: 'runner' }
      })
    ).toBe('2024-05-01 12:34:56 alice member.set kind=user name=bob role=runner');
    expect(formatAuditEvent(event(1, '2024-05-01T00:00:00Z', 'archive'))).toBe(
      '2024-05-01 00:00:00 alice archive'
    );
  });

  it('confirmationMatches() needs the exact slug', () => {
    expect(confirmationMatches('churn', 'churn')).toBe(true);
    expect(confirmationMatches('churn', ' churn ')).toBe(true);
    expect(confirmationMatches('churn', 'Churn')).toBe(false);
    expect(confirmationMatches('churn', '')).toBe(false);
    expect(confirmationMatches('churn', null)).toBe(false);
  });

  it('errorMessage() shows the API message', () => {
    expect(
      errorMessage(new ScaleLabAPIError(400, 'invalid slug', 'req-1'))
    ).toBe('invalid slug');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('text')).toBe('text');
  });
});

describe('deploymentNotice', () => {
  const health = (deployment?: HealthModel['deployment']): HealthModel => ({
    status: 'ok',
    version: '1',
    database: { ok: true, backend: 'sqlite', error: null },
    deployment
  });

  it('says plainly that kernels share one OS account in the local mode', () => {
    const notice = deploymentNotice(
      health({ mode: 'local', roles_hold_for_kernels: false })
    );
    expect(notice).toContain('mode local');
    expect(notice).toContain('same OS account');
    expect(notice).toContain('can read every project');
  });

  it('is silent where the OS holds kernels to roles, or nothing is said', () => {
    expect(
      deploymentNotice(
        health({ mode: 'system-users', roles_hold_for_kernels: true })
      )
    ).toBeNull();
    expect(deploymentNotice(health())).toBeNull();
  });
});
