import {
  type DeletedProject,
  type ProjectModel,
  type ScaleLabClient,
  type UserModel
} from './api';
import { AuditView } from './audit';
import { button, el, errorLine, input, setError } from './dom';
import {
  confirmationMatches,
  errorMessage,
  formatMyRole,
  projectPermissions
} from './helpers';
import { MembersView } from './members';

/** Opens a project's workspace folder, e.g. in the default file browser. */
export type OpenWorkspace = (project: ProjectModel) => Promise<void>;

/**
 * Asks the user to type the slug to confirm deleting a project.
 *
 * Resolves to the typed text, or `null` when cancelled.
 */
export type AskDeleteConfirmation = (
  project: ProjectModel
) => Promise<string | null>;

/** Options for {@link ProjectDetails}. */
export interface ProjectDetailsOptions {
  client: ScaleLabClient;
  project: ProjectModel;
  user: UserModel | null;
  /** Missing when JupyterLab has no default file browser. */
  openWorkspace?: OpenWorkspace;
  askDeleteConfirmation: AskDeleteConfirmation;
  /** The project changed (title, archived, members): reload the list. */
  onChanged: () => void;
  /** The project was deleted. */
  onDeleted: (deleted: DeletedProject) => void;
}

/**
 * The current project: title, my role, workspace, rename, archive/restore,
 * delete, members and (for owners and hub admins) the audit log.
 */
export class ProjectDetails {
  readonly node: HTMLElement;

  constructor(options: ProjectDetailsOptions) {
    this._options = options;
    this._project = options.project;
    this._user = options.user;
    const { client } = options;
    const slug = options.project.slug;

    this._title = el('h4', {
      className: 'jp-ScaleLabPanel-currentTitle',
      testid: 'scalelab-current-title'
    });
    this._meta = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._role = el('div', {
      className: 'jp-ScaleLabPanel-row',
      testid: 'scalelab-my-role'
    });

    this._openButton = button(
      'Open in file browser',
      () => {
        void this._openWorkspace();
      },
      { testid: 'scalelab-open-workspace' }
    );
    if (!options.openWorkspace) {
      this._openButton.disabled = true;
      this._openButton.title = 'The file browser is not available';
    }

    this._titleInput = input('title', 'Project title', {
      attrs: { 'aria-label': 'Project title' }
    });
    this._renameForm = el(
      'form',
      { className: 'jp-ScaleLabPanel-inline', testid: 'scalelab-rename' },
      this._titleInput,
      button('Save', null, { testid: 'scalelab-rename-save' })
    );
    this._renameForm.addEventListener('submit', event => {
      event.preventDefault();
      void this._rename();
    });

    this._archiveButton = button('Archive', () => {
      void this._toggleArchived();
    });
    this._deleteButton = button(
      'Delete',
      () => {
        void this._delete();
      },
      { testid: 'scalelab-delete', warn: true }
    );
    this._manageActions = el(
      'div',
      { className: 'jp-ScaleLabPanel-actions' },
      this._archiveButton,
      this._deleteButton
    );
    this._error = errorLine('scalelab-project-error');

    this._members = new MembersView({
      client,
      slug,
      onChanged: () => {
        void this._audit.reloadIfOpen();
        options.onChanged();
      }
    });
    this._audit = new AuditView(client, slug);

    this.node = el(
      'section',
      {
        className: 'jp-ScaleLabPanel-current',
        testid: 'scalelab-current-project',
        attrs: { 'data-slug': slug }
      },
      this._title,
      this._meta,
      this._role,
      el(
        'div',
        { className: 'jp-ScaleLabPanel-actions' },
        this._openButton
      ),
      this._renameForm,
      this._manageActions,
      this._error,
      this._members.node,
      this._audit.node
    );
    this._render(true);
    void this._members.load();
  }

  /** The slug of the shown project. */
  get slug(): string {
    return this._project.slug;
  }

  /** Show a newer model of the same project and/or the signed-in user. */
  update(project: ProjectModel, user: UserModel | null): void {
    const titleChanged = project.title !== this._project.title;
    this._project = project;
    this._user = user;
    this._render(titleChanged);
  }

  private _render(resetTitle: boolean): void {
    const project = this._project;
    const can = projectPermissions(project, this._user);
    this._title.textContent = project.title || project.slug;
    this._meta.replaceChildren(
      el('span', { text: project.slug }),
      ' · ',
      el('span', { text: project.workspace, title: 'Workspace folder' })
    );
    if (project.archived) {
      this._meta.append(
        ' · ',
        el('span', { className: 'jp-ScaleLabPanel-archived', text: 'archived' })
      );
    }
    this._meta.title = `Created ${project.created_at} by ${project.created_by}`;
    this._role.textContent = formatMyRole(project, this._user);

    this._renameForm.hidden = !can.rename;
    if (resetTitle || document.activeElement !== this._titleInput) {
      this._titleInput.value = project.title;
    }
    this._manageActions.hidden = !can.manage;
    this._archiveButton.textContent = project.archived ? 'Restore' : 'Archive';
    this._archiveButton.dataset.testid = project.archived
      ? 'scalelab-restore'
      : 'scalelab-archive';
    this._members.canManage = can.manage;
    this._audit.node.hidden = !can.manage;
    if (!can.manage) {
      this._audit.node.open = false;
    }
  }

  private async _openWorkspace(): Promise<void> {
    const open = this._options.openWorkspace;
    if (!open) {
      return;
    }
    await this._run(() => open(this._project), false);
  }

  private async _rename(): Promise<void> {
    const title = this._titleInput.value.trim();
    if (!title) {
      setError(this._error, 'Enter a title.');
      return;
    }
    const slug = this._project.slug;
    await this._run(async () => {
      const updated = await this._options.client.updateProject(slug, { title });
      this.update(updated, this._user);
    });
  }

  private async _toggleArchived(): Promise<void> {
    const { client } = this._options;
    const { slug, archived } = this._project;
    await this._run(async () => {
      const updated = archived
        ? await client.restoreProject(slug)
        : await client.archiveProject(slug);
      this.update(updated, this._user);
    });
  }

  private async _delete(): Promise<void> {
    const project = this._project;
    setError(this._error, null);
    let typed: string | null;
    try {
      typed = await this._options.askDeleteConfirmation(project);
    } catch (err) {
      setError(this._error, errorMessage(err));
      return;
    }
    if (typed === null) {
      return;
    }
    if (!confirmationMatches(project.slug, typed)) {
      setError(
        this._error,
        `Not deleted: type “${project.slug}” exactly to confirm.`
      );
      return;
    }
    await this._run(async () => {
      const deleted = await this._options.client.deleteProject(project.slug);
      this._options.onDeleted(deleted);
    }, false);
  }

  /** Run an action with the buttons disabled; show its error. */
  private async _run(
    action: () => Promise<void>,
    changed = true
  ): Promise<void> {
    if (this._busy) {
      return;
    }
    this._busy = true;
    const controls = [
      ...this._renameForm.querySelectorAll<HTMLButtonElement | HTMLInputElement>(
        'button, input'
      ),
      this._archiveButton,
      this._deleteButton
    ];
    for (const control of controls) {
      control.disabled = true;
    }
    setError(this._error, null);
    try {
      await action();
      if (changed) {
        void this._audit.reloadIfOpen();
        this._options.onChanged();
      }
    } catch (err) {
      setError(this._error, errorMessage(err));
    } finally {
      this._busy = false;
      for (const control of controls) {
        control.disabled = false;
      }
    }
  }

  private readonly _options: ProjectDetailsOptions;
  private readonly _title: HTMLElement;
  private readonly _meta: HTMLElement;
  private readonly _role: HTMLElement;
  private readonly _openButton: HTMLButtonElement;
  private readonly _titleInput: HTMLInputElement;
  private readonly _renameForm: HTMLFormElement;
  private readonly _archiveButton: HTMLButtonElement;
  private readonly _deleteButton: HTMLButtonElement;
  private readonly _manageActions: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _members: MembersView;
  private readonly _audit: AuditView;
  private _project: ProjectModel;
  private _user: UserModel | null;
  private _busy = false;
}
