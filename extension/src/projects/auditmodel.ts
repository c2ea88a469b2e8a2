import { type AuditEvent, type ScaleLabClient } from '../common/api';
import { projectPermissions, sortAuditEvents } from '../common/helpers';
import { ProjectListModel } from '../common/listmodel';

/** The client calls the audit model makes. */
export type AuditClient = Pick<ScaleLabClient, 'listAudit'>;

/**
 * The audit log of one project, newest first.
 *
 * Loaded on demand ({@link reload}; the view loads it each time it is
 * expanded), not when the project is shown. {@link changed} is emitted
 * whenever the state changes.
 */
export class AuditModel extends ProjectListModel<AuditEvent> {
  constructor(client: AuditClient) {
    super();
    this._client = client;
  }

  /** The events, newest first. */
  get events(): readonly AuditEvent[] {
    return this.items;
  }

  /** Whether the user may see the audit log (owners and hub admins). */
  get canView(): boolean {
    const project = this.project;
    return project !== null && projectPermissions(project, this.user).manage;
  }

  protected async fetch(slug: string): Promise<AuditEvent[]> {
    return sortAuditEvents((await this._client.listAudit(slug)).events);
  }

  protected shouldLoad(): boolean {
    return false;
  }

  private readonly _client: AuditClient;
}
