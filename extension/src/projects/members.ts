import {
  type MemberKind,
  type MemberModel,
  ROLES,
  type Role,
  type ScaleLabClient
} from '../common/api';
import { button, el, errorLine, input, select, setError } from '../common/dom';
import { errorMessage, isRole, sortMembers } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';

const KINDS: readonly MemberKind[] = ['user', 'group'];

/** Options for {@link MembersView}. */
export interface MembersViewOptions {
  client: ScaleLabClient;
  slug: string;
  trans?: TranslationBundle;
  /** Called after a member was added, changed or removed. */
  onChanged: () => void;
}

/**
 * The members of one project: a table for everyone, with role selects,
 * Remove buttons and an "Add member" row for owners and hub admins.
 */
export class MembersView {
  readonly node: HTMLElement;

  constructor(options: MembersViewOptions) {
    this._client = options.client;
    this._slug = options.slug;
    this._onChanged = options.onChanged;
    const trans = (this._trans = options.trans ?? plainTrans);

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
    this._addForm.hidden = true;

    this.node = el(
      'section',
      { className: 'jp-ScaleLabPanel-members', testid: 'scalelab-members' },
      el('h4', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Members') }),
      this._status,
      this._table,
      this._addForm,
      this._error
    );
    this._table.hidden = true;
  }

  /** Whether the controls for owners and hub admins are shown. */
  get canManage(): boolean {
    return this._canManage;
  }
  set canManage(value: boolean) {
    if (value === this._canManage) {
      return;
    }
    this._canManage = value;
    this._render();
  }

  /** Reload the members from the server. */
  async load(): Promise<void> {
    const id = ++this._loadId;
    try {
      const list = await this._client.listMembers(this._slug);
      if (id !== this._loadId) {
        return;
      }
      this._members = sortMembers(list.members);
      this._loaded = true;
      setError(this._error, null);
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      setError(this._error, this._trans.__('Could not load members: %1', errorMessage(err)));
    }
    this._render();
  }

  private _render(): void {
    this._addForm.hidden = !this._canManage;
    this._body.replaceChildren(...this._members.map(m => this._row(m)));
    this._table.hidden = this._members.length === 0;
    this._status.hidden = this._members.length > 0;
    this._status.textContent = this._loaded
      ? this._trans.__('No members.')
      : this._trans.__('Loading…');
    this._setBusy(this._busy);
  }

  private _row(member: MemberModel): HTMLTableRowElement {
    const label = `${member.kind} ${member.name}`;
    let roleCell: HTMLElement;
    let actionCell: HTMLElement;
    if (this._canManage) {
      const roleSelect = select('role', ROLES, member.role, {
        testid: 'scalelab-member-role',
        attrs: { 'aria-label': this._trans.__('Role of %1', label) }
      });
      roleSelect.addEventListener('change', () => {
        if (isRole(roleSelect.value)) {
          void this._setRole(member, roleSelect.value);
        }
      });
      roleCell = el('td', {}, roleSelect);
      actionCell = el(
        'td',
        {},
        button(
          this._trans.__('Remove'),
          () => {
            void this._remove(member);
          },
          {
            testid: 'scalelab-member-remove',
            attrs: { 'aria-label': this._trans.__('Remove %1', label) }
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

  private async _setRole(member: MemberModel, role: Role): Promise<void> {
    await this._mutate(() =>
      this._client.setMember(this._slug, member.kind, member.name, role)
    );
  }

  private async _remove(member: MemberModel): Promise<void> {
    await this._mutate(() =>
      this._client.removeMember(this._slug, member.kind, member.name)
    );
  }

  private async _add(): Promise<void> {
    const name = this._name.value.trim();
    const kind = this._kind.value === 'group' ? 'group' : 'user';
    const role = isRole(this._role.value) ? this._role.value : 'viewer';
    if (!name) {
      setError(
        this._error,
        kind === 'group'
          ? this._trans.__('Enter the name of a group to add.')
          : this._trans.__('Enter the name of a user to add.')
      );
      this._name.focus();
      return;
    }
    const ok = await this._mutate(() =>
      this._client.setMember(this._slug, kind, name, role)
    );
    if (ok) {
      this._name.value = '';
    }
  }

  /** Run a change, then reload; errors are shown and the table reverted. */
  private async _mutate(action: () => Promise<unknown>): Promise<boolean> {
    if (this._busy) {
      return false;
    }
    this._setBusy(true);
    setError(this._error, null);
    let ok = true;
    try {
      await action();
    } catch (err) {
      ok = false;
      setError(this._error, errorMessage(err));
      this._render();
    }
    try {
      // Reload either way: on error this reverts the role selects.
      const error = this._error.textContent;
      await this.load();
      if (!ok) {
        setError(this._error, error);
      }
    } finally {
      this._setBusy(false);
    }
    if (ok) {
      this._onChanged();
    }
    return ok;
  }

  private _setBusy(busy: boolean): void {
    this._busy = busy;
    for (const control of this.node.querySelectorAll<
      HTMLButtonElement | HTMLSelectElement | HTMLInputElement
    >('button, select, input')) {
      control.disabled = busy;
    }
  }

  private readonly _client: ScaleLabClient;
  private readonly _trans: TranslationBundle;
  private readonly _slug: string;
  private readonly _onChanged: () => void;
  private readonly _body: HTMLTableSectionElement;
  private readonly _table: HTMLTableElement;
  private readonly _status: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _addForm: HTMLFormElement;
  private readonly _kind: HTMLSelectElement;
  private readonly _name: HTMLInputElement;
  private readonly _role: HTMLSelectElement;
  private _members: MemberModel[] = [];
  private _canManage = false;
  private _loaded = false;
  private _busy = false;
  private _loadId = 0;
}
