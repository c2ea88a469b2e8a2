import { type CommandRegistry } from '@lumino/commands';

import { type ProjectModel, type ScaleLabClient, type UserModel } from '../common/api';
import { CommandIDs } from '../common/commands';
import { askDeleteConfirmation } from '../common/dialogs';
import { button, el, errorLine, input, setError } from '../common/dom';
import {
  confirmationMatches,
  errorMessage,
  formatMyRole,
  projectPermissions
} from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { AuditView } from './audit';
import { AuditModel } from './auditmodel';
import { MembersView } from './members';
import { MembersModel } from './membersmodel';
import { type ProjectsModel } from './model';

/**
 * Asks the user to type the slug to confirm deleting a project.
 *
 * Resolves to the typed text, or `null` when cancelled.
 */
export type AskDeleteConfirmation = (project: ProjectModel) => Promise<string | null>;

/** Options for {@link ProjectDetails}. */
export interface ProjectDetailsOptions {
  model: ProjectsModel;
  /** For the members and the audit log. */
  client: ScaleLabClient;
  project: ProjectModel;
  user: UserModel | null;
  /** "Open in file browser" executes {@link CommandIDs.openProject}, if registered. */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** Default: a JupyterLab dialog. */
  askDeleteConfirmation?: AskDeleteConfirmation;
}

/**
 * A project: title, my role, workspace, rename, archive/restore and delete
 * in {@link node}; its members ({@link members}) and, for owners and hub
 * admins, its audit log ({@link audit}) for the caller to place. It owns
 * their models.
 */
export class ProjectDetails {
  readonly node: HTMLElement;

  constructor(options: ProjectDetailsOptions) {
    this._options = options;
    this._project = options.project;
    this._user = options.user;
    const trans = (this._trans = options.trans ?? plainTrans);
    const { client, model } = options;
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
      trans.__('Open in file browser'),
      () => {
        void this._openWorkspace();
      },
      { testid: 'scalelab-open-workspace' }
    );
    if (!options.commands.hasCommand(CommandIDs.openProject)) {
      this._openButton.disabled = true;
      this._openButton.title = trans.__('The file browser is not available');
    }

    this._titleInput = input('title', trans.__('Project title'), {
      attrs: { 'aria-label': trans.__('Project title') }
    });
    this._renameForm = el(
      'form',
      { className: 'jp-ScaleLabPanel-inline', testid: 'scalelab-rename' },
      this._titleInput,
      button(trans.__('Save'), null, { testid: 'scalelab-rename-save' })
    );
    this._renameForm.addEventListener('submit', event => {
      event.preventDefault();
      void this._rename();
    });

    this._archiveButton = button(trans.__('Archive'), () => {
      void this._toggleArchived();
    });
    this._deleteButton = button(
      trans.__('Delete'),
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

    this._membersModel = new MembersModel(client);
    this._membersModel.membersChanged.connect(() => {
      void this._audit.reloadIfOpen();
      void model.refresh();
    });
    this._auditModel = new AuditModel(client);
    // Loads the members.
    this._membersModel.setProject(options.project, options.user);
    this._auditModel.setProject(options.project, options.user);
    this._members = new MembersView({ model: this._membersModel, trans });
    this._audit = new AuditView(this._auditModel, trans);

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
      this._error
    );
    this._render(true);
  }

  /** The slug of the shown project. */
  get slug(): string {
    return this._project.slug;
  }

  /** The members of the project. */
  get members(): MembersView {
    return this._members;
  }

  /** The audit log of the project (hidden unless I can manage it). */
  get audit(): AuditView {
    return this._audit;
  }

  /** Show a newer model of the same project and/or the signed-in user. */
  update(project: ProjectModel, user: UserModel | null): void {
    const titleChanged = project.title !== this._project.title;
    this._project = project;
    this._user = user;
    this._membersModel.setProject(project, user);
    this._auditModel.setProject(project, user);
    this._render(titleChanged);
  }

  /** Stop rendering; dispose of the members and audit models. */
  dispose(): void {
    this._members.dispose();
    this._audit.dispose();
    this._membersModel.dispose();
    this._auditModel.dispose();
  }

  private _render(resetTitle: boolean): void {
    const project = this._project;
    const trans = this._trans;
    const can = projectPermissions(project, this._user);
    this._title.textContent = project.title || project.slug;
    this._meta.replaceChildren(
      el('span', { text: project.slug }),
      ' · ',
      el('span', { text: project.workspace, title: trans.__('Workspace folder') })
    );
    if (project.archived) {
      this._meta.append(
        ' · ',
        el('span', { className: 'jp-ScaleLabPanel-archived', text: trans.__('archived') })
      );
    }
    this._meta.title = trans.__('Created %1 by %2', project.created_at, project.created_by);
    this._role.textContent = formatMyRole(project, this._user, trans);

    this._renameForm.hidden = !can.rename;
    if (resetTitle || document.activeElement !== this._titleInput) {
      this._titleInput.value = project.title;
    }
    this._manageActions.hidden = !can.manage;
    this._archiveButton.textContent = project.archived
      ? trans.__('Restore')
      : trans.__('Archive');
    this._archiveButton.dataset.testid = project.archived
      ? 'scalelab-restore'
      : 'scalelab-archive';
  }

  private async _openWorkspace(): Promise<void> {
    const { commands } = this._options;
    if (!commands.hasCommand(CommandIDs.openProject)) {
      return;
    }
    const { slug, workspace } = this._project;
    await this._run(async () => {
      await commands.execute(CommandIDs.openProject, { project: slug, workspace });
    }, false);
  }

  private async _rename(): Promise<void> {
    const title = this._titleInput.value.trim();
    if (!title) {
      setError(this._error, this._trans.__('Enter a title.'));
      return;
    }
    const slug = this._project.slug;
    await this._run(async () => {
      const updated = await this._options.model.update(slug, { title });
      this.update(updated, this._user);
    });
  }

  private async _toggleArchived(): Promise<void> {
    const { slug, archived } = this._project;
    await this._run(async () => {
      const updated = await this._options.model.setArchived(slug, !archived);
      this.update(updated, this._user);
    });
  }

  private async _delete(): Promise<void> {
    const project = this._project;
    const trans = this._trans;
    setError(this._error, null);
    let typed: string | null;
    try {
      const ask = this._options.askDeleteConfirmation;
      typed = ask ? await ask(project) : await askDeleteConfirmation(project, trans);
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
        trans.__('Not deleted: type “%1” exactly to confirm.', project.slug)
      );
      return;
    }
    await this._run(async () => {
      await this._options.model.remove(project.slug);
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
  private readonly _trans: TranslationBundle;
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
  private readonly _membersModel: MembersModel;
  private readonly _auditModel: AuditModel;
  private readonly _members: MembersView;
  private readonly _audit: AuditView;
  private _project: ProjectModel;
  private _user: UserModel | null;
  private _busy = false;
}
