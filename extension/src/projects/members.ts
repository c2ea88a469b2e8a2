import { type MemberKind, type MemberModel, ROLES } from '../common/api';
import { button, el, errorLine, input, select, setError } from '../common/dom';
import { errorMessage, isRole } from '../common/helpers';
import { ProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import { type MembersModel } from './membersmodel';

const KINDS: readonly MemberKind[] = ['user', 'group'];

/** Options for {@link MembersView}. */
export interface MembersViewOptions {
  model: MembersModel;
  trans?: TranslationBundle;
}

/**
 * The members of one project (a {@link MembersModel}): a table for
 * everyone, with role selects, Remove buttons and an "Add member" row for
 * owners and hub admins.
 */
export class MembersView extends ProjectListView<MembersModel> {
  readonly node: HTMLElement;

  constructor(options: MembersViewOptions) {
    super(options.model, options.trans);
    const trans = this.trans;

    this._body = el('tbody');
    const head = el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { text: trans.__('Kind') }),
        el('th', { text: trans.__('Name') }),
        el('th', { text: trans.__('Role') }),
        el('th', { attrs: { 'aria-label': trans.__('Actions') } })
      )
    );
    this._table = el(
      'table',
      { className: 'jp-ScaleLabPanel-table' },
      head,
      this._body
    );
    this._status = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      text: trans.__('Loading…')
    });
    this._error = errorLine('scalelab-members-error');

    this._kind = select('member-kind', KINDS, 'user', {
      attrs: { 'aria-label': trans.__('Member kind') }
    });
    this._name = input('member-name', trans.__('user or group name'), {
      attrs: { 'aria-label': trans.__('Member name') }
    });
    this._role = select('member-role', ROLES, 'viewer', {
      attrs: { 'aria-label': trans.__('Member role') }
    });
    this._addForm = el(
      'form',
      { className: 'jp-ScaleLabPanel-addMember', testid: 'scalelab-add-member' },
      this._kind,
      this._name,
      this._role,
      button(trans.__('Add'), null)
    );
    this._addForm.addEventListener('submit', event => {
      event.preventDefault();
      void this._add();
    });

    this.node = el(
      'section',
      { className: 'jp-ScaleLabPanel-members', testid: 'scalelab-members' },
      el('h4', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Members') }),
      this._status,
      this._table,
      this._addForm,
      this._error
    );
    this.render();
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    this._addForm.hidden = !model.canManage;
    this._body.replaceChildren(...model.members.map(m => this._row(m)));
    this.renderListState(
      { status: this._status, error: this._error, list: this._table },
      {
        empty: trans.__('No members.'),
        loadError: message => trans.__('Could not load members: %1', message)
      }
    );
    // A problem with the form, or with the last change, hides a load error.
    const changeError = model.changeError;
    if (this._formError !== null) {
      setError(this._error, this._formError);
    } else if (changeError !== null) {
      setError(this._error, errorMessage(changeError));
    }
    for (const control of this.node.querySelectorAll<
      HTMLButtonElement | HTMLSelectElement | HTMLInputElement
    >('button, select, input')) {
      control.disabled = model.busy;
    }
  }

  private _row(member: MemberModel): HTMLTableRowElement {
    const label = `${member.kind} ${member.name}`;
    let roleCell: HTMLElement;
    let actionCell: HTMLElement;
    if (this.model.canManage) {
      const roleSelect = select('role', ROLES, member.role, {
        testid: 'scalelab-member-role',
        attrs: { 'aria-label': this.trans.__('Role of %1', label) }
      });
      roleSelect.addEventListener('change', () => {
        const role = roleSelect.value;
        if (isRole(role)) {
          void this._change(() => this.model.setRole(member, role));
        }
      });
      roleCell = el('td', {}, roleSelect);
      actionCell = el(
        'td',
        {},
        button(
          this.trans.__('Remove'),
          () => {
            void this._change(() => this.model.remove(member));
          },
          {
            testid: 'scalelab-member-remove',
            attrs: { 'aria-label': this.trans.__('Remove %1', label) }
          }
        )
      );
    } else {
      roleCell = el('td', { text: member.role });
      actionCell = el('td');
    }
    return el(
      'tr',
      {
        testid: `scalelab-member-${member.kind}-${member.name}`,
        attrs: { 'data-kind': member.kind, 'data-name': member.name }
      },
      el('td', { className: 'jp-ScaleLabPanel-muted', text: member.kind }),
      el('td', {
        className: 'jp-ScaleLabPanel-memberName',
        text: member.name,
        title: member.name
      }),
      roleCell,
      actionCell
    );
  }

  /** Make a change through the model; it shows the change's error. */
  private async _change(change: () => Promise<boolean>): Promise<boolean> {
    this._formError = null;
    return change();
  }

  private async _add(): Promise<void> {
    const name = this._name.value.trim();
    const kind = this._kind.value === 'group' ? 'group' : 'user';
    const role = isRole(this._role.value) ? this._role.value : 'viewer';
    if (!name) {
      this._formError =
        kind === 'group'
          ? this.trans.__('Enter the name of a group to add.')
          : this.trans.__('Enter the name of a user to add.');
      setError(this._error, this._formError);
      this._name.focus();
      return;
    }
    if (await this._change(() => this.model.add(kind, name, role))) {
      this._name.value = '';
    }
  }

  private readonly _body: HTMLTableSectionElement;
  private readonly _table: HTMLTableElement;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _addForm: HTMLFormElement;
  private readonly _kind: HTMLSelectElement;
  private readonly _name: HTMLInputElement;
  private readonly _role: HTMLSelectElement;
  /** A problem with the "Add member" form, shown until the next change. */
  private _formError: string | null = null;
}
