import { type ISignal, Signal } from '@lumino/signaling';

import {
  type MemberKind,
  type MemberModel,
  type Role,
  type ScaleLabClient
} from '../common/api';
import { projectPermissions, sortMembers } from '../common/helpers';
import { ProjectListModel } from '../common/listmodel';

/** The client calls the members model makes. */
export type MembersClient = Pick<ScaleLabClient, 'listMembers' | 'setMember' | 'removeMember'>;

/**
 * The members of one project, sorted, loaded when the project is shown;
 * owners and hub admins add members, change their roles and remove them.
 *
 * One change at a time ({@link busy}); after each, the members are
 * reloaded (which reverts a change that failed) and, if it worked,
 * {@link membersChanged} is emitted. {@link changed} is emitted whenever
 * the state changes.
 */
export class MembersModel extends ProjectListModel<MemberModel> {
  constructor(client: MembersClient) {
    super();
    this._client = client;
  }

  /** Emitted after a member was added, changed or removed. */
  get membersChanged(): ISignal<this, void> {
    return this._membersChanged;
  }

  /** The members, sorted. */
  get members(): readonly MemberModel[] {
    return this.items;
  }

  /** Whether the user may manage the members (owners and hub admins). */
  get canManage(): boolean {
    const project = this.project;
    return project !== null && projectPermissions(project, this.user).manage;
  }

  /** Whether a change is under way. */
  get busy(): boolean {
    return this._busy;
  }

  /** Why the last change failed, or `null`. */
  get changeError(): unknown {
    return this._changeError;
  }

  /** Add a member, or change the role of one; resolves to whether it worked. */
  async add(kind: MemberKind, name: string, role: Role): Promise<boolean> {
    return this._change(slug => this._client.setMember(slug, kind, name, role));
  }

  /** Change the role of a member; resolves to whether it worked. */
  async setRole(member: MemberModel, role: Role): Promise<boolean> {
    return this._change(
      slug => this._client.setMember(slug, member.kind, member.name, role),
      // Shown at once; the reload reverts it if the change fails.
      this.items.map(m =>
        m.kind === member.kind && m.name === member.name ? { ...m, role } : m
      )
    );
  }

  /** Remove a member; resolves to whether it worked. */
  async remove(member: MemberModel): Promise<boolean> {
    return this._change(slug => this._client.removeMember(slug, member.kind, member.name));
  }

  protected async fetch(slug: string): Promise<MemberModel[]> {
    return sortMembers((await this._client.listMembers(slug)).members);
  }

  protected onProjectChanged(): void {
    this._changeError = null;
  }

  /** Make a change (showing `expected` meanwhile), then reload either way. */
  private async _change(
    action: (slug: string) => Promise<unknown>,
    expected?: MemberModel[]
  ): Promise<boolean> {
    const slug = this.slug;
    if (slug === null || this._busy) {
      return false;
    }
    this._busy = true;
    this._changeError = null;
    if (expected) {
      this.setItems(expected);
    }
    this.emitChanged();
    let ok = true;
    try {
      await action(slug);
    } catch (err) {
      ok = false;
      this._changeError = err ?? new Error('unknown error');
    }
    try {
      await this.reload();
    } finally {
      this._busy = false;
      this.emitChanged();
    }
    if (ok && this.slug === slug) {
      this._membersChanged.emit();
    }
    return ok;
  }

  private readonly _client: MembersClient;
  private readonly _membersChanged = new Signal<this, void>(this);
  private _busy = false;
  private _changeError: unknown = null;
}
