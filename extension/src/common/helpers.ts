/**
 * Pure formatting and logic helpers for the ScaleLab panel.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  type AuditEvent,
  type HealthModel,
  type MemberModel,
  type ProjectModel,
  type Role,
  ROLES,
  roleAtLeast,
  ScaleLabAPIError,
  type UserModel
} from './api';
import { plainTrans, type TranslationBundle } from './trans';

/** The preference key holding the slug of the current project. */
export const PROJECT_PREFERENCE = 'project';

/**
 * Merge `patch` into `base` without mutating either.
 *
 * Keys of `base` not in `patch` are kept; keys whose patch value is
 * `undefined` are removed.
 */
export function mergePreferences(
  base: Record<string, unknown> | null | undefined,
  patch: Record<string, unknown>
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(base ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      delete merged[key];
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

/**
 * The slug of the preferred project if it is among `projects`, else `null`.
 */
export function preferredProject(
  preferences: Record<string, unknown> | null | undefined,
  projects: readonly ProjectModel[]
): string | null {
  const slug = preferences?.[PROJECT_PREFERENCE];
  if (typeof slug !== 'string') {
    return null;
  }
  return projects.some(p => p.slug === slug) ? slug : null;
}

/** Case-insensitive order, ties broken by code point order. */
function compareText(a: string, b: string): number {
  const folded = a.localeCompare(b, undefined, { sensitivity: 'base' });
  if (folded !== 0) {
    return folded;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Active projects first, then by title, then by slug (returns a copy). */
export function sortProjects(projects: readonly ProjectModel[]): ProjectModel[] {
  return [...projects].sort(
    (a, b) =>
      Number(a.archived) - Number(b.archived) ||
      compareText(a.title || a.slug, b.title || b.slug) ||
      compareText(a.slug, b.slug)
  );
}

/** Users before groups, then by name (returns a copy). */
export function sortMembers(members: readonly MemberModel[]): MemberModel[] {
  return [...members].sort(
    (a, b) =>
      Number(a.kind === 'group') - Number(b.kind === 'group') ||
      compareText(a.name, b.name)
  );
}

/** Newest first: by timestamp, then by id (returns a copy). */
export function sortAuditEvents(events: readonly AuditEvent[]): AuditEvent[] {
  const time = (e: AuditEvent): number => {
    const t = Date.parse(e.at);
    return Number.isNaN(t) ? 0 : t;
  };
  return [...events].sort((a, b) => time(b) - time(a) || b.id - a.id);
}

/** `2024-05-01T12:34:56.789+00:00` -> `2024-05-01 12:34:56`. */
export function formatTimestamp(at: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)/.exec(at);
  return match ? `${match[1]} ${match[2]}` : at;
}

/** Audit details as `key=value` pairs; non-string values as JSON. */
export function formatDetails(
  details: Record<string, unknown> | null | undefined
): string {
  if (!details) {
    return '';
  }
  return Object.entries(details)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${text ?? String(value)}`;
    })
    .join(' ');
}

/** One audit log line: `at actor action details`. */
export function formatAuditEvent(event: AuditEvent): string {
  return [
    formatTimestamp(event.at),
    event.actor,
    event.action,
    formatDetails(event.details)
  ]
    .filter(part => part !== '')
    .join(' ');
}

/** What the caller may do with a project. */
export interface ProjectPermissions {
  /** Change the title: editor+ or hub admin. */
  rename: boolean;
  /** Members, archive/restore, delete, audit log: owner or hub admin. */
  manage: boolean;
}

/** The caller's permissions on `project`. */
export function projectPermissions(
  project: Pick<ProjectModel, 'my_role'>,
  user: Pick<UserModel, 'admin'> | null | undefined
): ProjectPermissions {
  const admin = user?.admin === true;
  return {
    rename: admin || roleAtLeast(project.my_role, 'editor'),
    manage: admin || roleAtLeast(project.my_role, 'owner')
  };
}

/** `My role: owner`; `My role: none` when not a member. */
export function formatMyRole(
  project: Pick<ProjectModel, 'my_role'>,
  user?: Pick<UserModel, 'admin'> | null,
  trans: TranslationBundle = plainTrans
): string {
  if (project.my_role !== null) {
    return trans.__('My role: %1', project.my_role);
  }
  return user?.admin ? trans.__('My role: none (hub admin)') : trans.__('My role: none');
}

/** Whether `value` is one of {@link ROLES}. */
export function isRole(value: unknown): value is Role {
  return (
    typeof value === 'string' && (ROLES as readonly string[]).includes(value)
  );
}

/** Whether the text typed to confirm a deletion matches the slug. */
export function confirmationMatches(
  slug: string,
  typed: string | null | undefined
): boolean {
  return typeof typed === 'string' && typed.trim() === slug;
}

/** A short message for an error from an action (shown next to its form). */
export function errorMessage(err: unknown): string {
  if (err instanceof ScaleLabAPIError) {
    return err.message || `HTTP ${err.status}`;
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/**
 * A plain notice when project roles do not bind kernels (the `local` mode:
 * every kernel runs as one OS account); null when the OS enforces them.
 */
export function deploymentNotice(
  health: HealthModel,
  trans: TranslationBundle = plainTrans
): string | null {
  const deployment = health.deployment;
  if (!deployment || deployment.roles_hold_for_kernels) {
    return null;
  }
  return trans.__(
    "Deployment mode %1: every user's kernel runs as the same " +
      'OS account, so code run here can read every project, whatever your ' +
      'roles. Roles apply to this panel and the file browser only.',
    deployment.mode
  );
}

/** `text` on one line: runs of whitespace (newlines too) as one space. */
export function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * How long ago `at` was: `just now`, `5 min ago`, `3 hours ago`,
 * `2 days ago`; the date past 30 days; `at` itself when unreadable.
 */
export function formatRelativeTime(
  at: string,
  now: number = Date.now(),
  trans: TranslationBundle = plainTrans
): string {
  const time = Date.parse(at);
  if (Number.isNaN(time)) {
    return at;
  }
  // A time a little ahead (clocks differ) is "just now" too.
  const seconds = Math.floor((now - time) / 1000);
  if (seconds < 60) {
    return trans.__('just now');
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans._n('%1 min ago', '%1 min ago', minutes);
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return trans._n('%1 hour ago', '%1 hours ago', hours);
  }
  const days = Math.floor(hours / 24);
  if (days < 30) {
    return trans._n('%1 day ago', '%1 days ago', days);
  }
  return formatTimestamp(at).slice(0, 10);
}
