import { el, errorLine } from '../common/dom';
import { formatAuditEvent } from '../common/helpers';
import { ProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import { type AuditModel } from './auditmodel';

/**
 * The collapsible audit log of one project (an {@link AuditModel}), newest
 * first; hidden (and collapsed) unless the user may see it.
 *
 * Events are loaded each time it is expanded.
 */
export class AuditView extends ProjectListView<AuditModel> {
  readonly node: HTMLDetailsElement;

  constructor(model: AuditModel, trans?: TranslationBundle) {
    super(model, trans);
    this._list = el('ol', { className: 'jp-ScaleLabPanel-auditList' });
    this._status = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._error = errorLine('scalelab-audit-error');
    this.node = el(
      'details',
      { className: 'jp-ScaleLabPanel-audit', testid: 'scalelab-audit' },
      el('summary', {
        className: 'jp-ScaleLabPanel-subheading',
        text: this.trans.__('Audit log')
      }),
      this._status,
      this._list,
      this._error
    );
    this.node.addEventListener('toggle', () => {
      if (this.node.open) {
        void this.model.reload();
      }
    });
    this.render();
  }

  /** Reload the events if the log is expanded. */
  async reloadIfOpen(): Promise<void> {
    if (this.node.open) {
      await this.model.reload();
    }
  }

  protected render(): void {
    const model = this.model;
    const canView = model.canView;
    this.node.hidden = !canView;
    if (!canView) {
      this.node.open = false;
    }
    this._list.replaceChildren(
      ...model.events.map(event =>
        el('li', {
          testid: 'scalelab-audit-event',
          text: formatAuditEvent(event),
          title: `${event.at} (#${event.id})`
        })
      )
    );
    this.renderListState(
      { status: this._status, error: this._error, list: this._list },
      {
        empty: this.trans.__('No events.'),
        loadError: message => this.trans.__('Could not load the audit log: %1', message)
      }
    );
    if (model.error !== null) {
      this._status.hidden = true;
    }
  }

  private readonly _list: HTMLOListElement;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
}
