import { type AuditEvent, type ScaleLabClient } from '../common/api';
import { el, errorLine, setError } from '../common/dom';
import { errorMessage, formatAuditEvent, sortAuditEvents } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';

/**
 * The collapsible audit log of one project, newest first.
 *
 * Events are loaded each time it is expanded.
 */
export class AuditView {
  readonly node: HTMLDetailsElement;

  constructor(client: ScaleLabClient, slug: string, trans: TranslationBundle = plainTrans) {
    this._client = client;
    this._trans = trans;
    this._slug = slug;
    this._list = el('ol', { className: 'jp-ScaleLabPanel-auditList' });
    this._status = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._error = errorLine('scalelab-audit-error');
    this.node = el(
      'details',
      { className: 'jp-ScaleLabPanel-audit', testid: 'scalelab-audit' },
      el('summary', {
        className: 'jp-ScaleLabPanel-subheading',
        text: trans.__('Audit log')
      }),
      this._status,
      this._list,
      this._error
    );
    this.node.addEventListener('toggle', () => {
      if (this.node.open) {
        void this.load();
      }
    });
  }

  /** Reload the events if the log is expanded. */
  async reloadIfOpen(): Promise<void> {
    if (this.node.open) {
      await this.load();
    }
  }

  /** Load the events from the server. */
  async load(): Promise<void> {
    const id = ++this._loadId;
    if (this._list.childElementCount === 0) {
      this._status.textContent = this._trans.__('Loading…');
      this._status.hidden = false;
    }
    try {
      const list = await this._client.listAudit(this._slug);
      if (id !== this._loadId) {
        return;
      }
      this._render(sortAuditEvents(list.events));
      setError(this._error, null);
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      this._status.hidden = true;
      setError(this._error, this._trans.__('Could not load the audit log: %1', errorMessage(err)));
    }
  }

  private _render(events: AuditEvent[]): void {
    this._list.replaceChildren(
      ...events.map(event =>
        el('li', {
          testid: 'scalelab-audit-event',
          text: formatAuditEvent(event),
          title: `${event.at} (#${event.id})`
        })
      )
    );
    this._status.textContent = this._trans.__('No events.');
    this._status.hidden = events.length > 0;
  }

  private readonly _client: ScaleLabClient;
  private readonly _trans: TranslationBundle;
  private readonly _slug: string;
  private readonly _list: HTMLOListElement;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private _loadId = 0;
}
