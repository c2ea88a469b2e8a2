import { type CommandRegistry } from '@lumino/commands';

import {
  type DeletedProject,
  type ProjectCreate,
  type ProjectModel
} from '../common/api';
import { CommandIDs } from '../common/commands';
import { button, classes, el, errorLine, input, onActivate, select, setError } from '../common/dom';
import { errorMessage, formatMyRole } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { type ProjectsModel, type ProjectsError } from './model';

const TEMPLATES: readonly NonNullable<ProjectCreate['template']>[] = ['empty', 'example'];

/** Options for {@link ProjectsSection}. */
export interface ProjectsSectionOptions {
  model: ProjectsModel;
  /**
   * A project's entry (and a new project) opens its dashboard
   * ({@link CommandIDs.openProjectDashboard}); "Open in file browser"
   * executes {@link CommandIDs.openProject}, "Experiments"
   * {@link CommandIDs.openExperiments}.
   */
  commands: CommandRegistry;
  trans?: TranslationBundle;
}

/**
 * The "Projects" section of the panel: my projects (a
 * {@link ProjectsModel}), the "New project" form and quick actions on the
 * current project. A project opens as a dashboard in the main area.
 */
export class ProjectsSection {
  readonly node: HTMLElement;

  constructor(options: ProjectsSectionOptions) {
    this._options = options;
    this._model = options.model;
    const trans = (this._trans = options.trans ?? plainTrans);

    this._error = errorLine('scalelab-projects-error');
    this._status = el('div', {
      className: 'jp-ScaleLabPanel-status',
      testid: 'scalelab-projects-status',
      attrs: { role: 'status' }
    });
    this._status.hidden = true;
    this._list = el('ul', {
      className: 'jp-ScaleLabPanel-projectList jp-ScaleLab-pickList',
      testid: 'scalelab-projects',
      attrs: { role: 'listbox', 'aria-label': trans.__('My projects') }
    });
    this._listStatus = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      text: trans.__('Loading…')
    });

    this._slugInput = input('slug', 'my-project', {
      attrs: { 'aria-label': trans.__('Project slug') }
    });
    this._titleInput = input('title', trans.__('Title (optional)'), {
      attrs: { 'aria-label': trans.__('Project title') }
    });
    this._template = select('template', TEMPLATES, 'empty', {
      attrs: { 'aria-label': trans.__('Template') }
    });
    this._createButton = button(trans.__('Create'), null, { accept: true });
    this._formError = errorLine('scalelab-form-error');
    const form = el(
      'form',
      { className: 'jp-ScaleLabPanel-newProject', testid: 'scalelab-new-project' },
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('New project') }),
      el('div', { className: 'jp-ScaleLabPanel-inline' }, this._slugInput, this._titleInput),
      el('div', { className: 'jp-ScaleLabPanel-inline' }, this._template, this._createButton),
      this._formError
    );
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this._create();
    });

    this._current = el('div', { className: 'jp-ScaleLabPanel-currentHost' });
    this._hint = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      testid: 'scalelab-no-project',
      text: trans.__('Select a project to open its dashboard.')
    });
    this._currentTitle = el('div', {
      className: 'jp-ScaleLabPanel-subheading',
      testid: 'scalelab-quick-project'
    });
    this._currentRole = el('div', { className: 'jp-ScaleLabPanel-muted' });
    this._dashboardButton = button(
      trans.__('Dashboard'),
      () => {
        const slug = this._model.currentSlug;
        if (slug !== null) {
          void this._openDashboard(slug);
        }
      },
      { testid: 'scalelab-quick-dashboard', accept: true }
    );
    this._workspaceButton = button(
      trans.__('Open in file browser'),
      () => {
        void this._openWorkspace();
      },
      { testid: 'scalelab-quick-workspace' }
    );
    this._experimentsButton = button(
      trans.__('Experiments'),
      () => {
        void this._openExperiments();
      },
      {
        testid: 'scalelab-quick-experiments',
        title: trans.__("The project's experiments (MLflow), in a new browser tab")
      }
    );
    this._quickActions = el(
      'div',
      { className: 'jp-ScaleLabPanel-quick', testid: 'scalelab-quick-actions' },
      this._currentTitle,
      this._currentRole,
      el(
        'div',
        { className: 'jp-ScaleLabPanel-actions' },
        this._dashboardButton,
        this._workspaceButton,
        this._experimentsButton
      )
    );
    this._current.append(this._hint, this._quickActions);

    this.node = el(
      'section',
      { className: 'jp-ScaleLabPanel-projects' },
      el('h3', { className: 'jp-ScaleLabPanel-sectionHeading', text: trans.__('Projects') }),
      this._error,
      this._status,
      this._listStatus,
      this._list,
      this._current,
      form
    );
    this._model.changed.connect(this._render, this);
    this._model.deleted.connect(this._onDeleted, this);
    this._render();
  }

  /** The projects model. */
  get model(): ProjectsModel {
    return this._model;
  }

  /** Show an error above the list (e.g. of an action on a run). */
  showError(message: string | null): void {
    setError(this._error, message);
  }

  /** Stop rendering the model. */
  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    this._model.deleted.disconnect(this._onDeleted, this);
  }

  /** Make `slug` the current project and open its dashboard. */
  private async _openDashboard(slug: string): Promise<void> {
    void this._model.select(slug);
    const { commands } = this._options;
    if (!commands.hasCommand(CommandIDs.openProjectDashboard)) {
      return;
    }
    try {
      await commands.execute(CommandIDs.openProjectDashboard, { slug });
    } catch (err) {
      this.showError(errorMessage(err));
    }
  }

  /** The current project's workspace in the file browser. */
  private async _openWorkspace(): Promise<void> {
    const project = this._model.current;
    const { commands } = this._options;
    if (project === null || !commands.hasCommand(CommandIDs.openProject)) {
      return;
    }
    try {
      await commands.execute(CommandIDs.openProject, {
        project: project.slug,
        workspace: project.workspace
      });
    } catch (err) {
      this.showError(errorMessage(err));
    }
  }

  /** The current project's experiments (MLflow UI) in a new browser tab. */
  private async _openExperiments(): Promise<void> {
    const slug = this._model.currentSlug;
    const { commands } = this._options;
    if (slug === null || !commands.hasCommand(CommandIDs.openExperiments)) {
      return;
    }
    try {
      await commands.execute(CommandIDs.openExperiments, { slug });
    } catch (err) {
      this.showError(errorMessage(err));
    }
  }

  private async _create(): Promise<void> {
    const body: ProjectCreate = {
      slug: this._slugInput.value.trim(),
      template: this._template.value === 'example' ? 'example' : 'empty'
    };
    const title = this._titleInput.value.trim();
    if (title) {
      body.title = title;
    }
    setError(this._formError, null);
    this._createButton.disabled = true;
    // No details (of the project current so far) while the new one is made:
    // what is shown next is the new project.
    this._creating = true;
    this._render();
    try {
      this._showStatus(null);
      const project = await this._model.create(body);
      void this._openDashboard(project.slug);
      this._slugInput.value = '';
      this._titleInput.value = '';
      this._template.value = 'empty';
    } catch (err) {
      setError(this._formError, errorMessage(err));
    } finally {
      this._creating = false;
      this._createButton.disabled = false;
      this._render();
    }
  }

  private _onDeleted(sender: ProjectsModel, deleted: DeletedProject): void {
    this._showStatus(
      this._trans.__(
        'Deleted %1; its workspace was archived to %2.',
        deleted.slug,
        deleted.archive
      )
    );
  }

  private _showStatus(message: string | null): void {
    this._status.textContent = message ?? '';
    this._status.hidden = !message;
  }

  private _describeError(error: ProjectsError): string {
    const message = errorMessage(error.reason);
    return error.action === 'load'
      ? this._trans.__('Could not load projects: %1', message)
      : this._trans.__('Could not remember the current project: %1', message);
  }

  private _render(): void {
    const error = this._model.error;
    if (error !== this._shownError) {
      this._shownError = error;
      setError(this._error, error === null ? null : this._describeError(error));
    }
    this._renderList();
    this._renderCurrent();
  }

  private _renderList(): void {
    const { projects, loaded } = this._model;
    this._listStatus.hidden =
      (loaded && projects.length > 0) || (!loaded && this._model.loadFailed);
    this._listStatus.textContent = loaded
      ? this._trans.__('No projects yet. Create one below.')
      : this._trans.__('Loading…');
    this._list.hidden = projects.length === 0;
    this._list.replaceChildren(...projects.map(p => this._item(p)));
  }

  private _item(project: ProjectModel): HTMLLIElement {
    const trans = this._trans;
    const selected = project.slug === this._model.currentSlug;
    const titleRow = el(
      'div',
      { className: 'jp-ScaleLabPanel-projectTitleRow' },
      el('span', {
        className: 'jp-ScaleLabPanel-projectTitle',
        text: project.title || project.slug
      }),
      el('span', {
        className: 'jp-ScaleLabPanel-badge',
        testid: 'scalelab-project-role',
        text: project.my_role ?? (this._model.user?.admin ? trans.__('admin') : trans.__('none'))
      })
    );
    if (project.archived) {
      titleRow.append(
        el('span', {
          className: 'jp-ScaleLabPanel-archived',
          testid: 'scalelab-project-archived',
          text: trans.__('archived')
        })
      );
    }
    const item = el(
      'li',
      {
        className: classes('jp-ScaleLabPanel-project jp-ScaleLab-pickItem', {
          'jp-mod-selected': selected,
          'jp-mod-archived': project.archived
        }),
        testid: `scalelab-project-${project.slug}`,
        title: project.workspace,
        attrs: {
          role: 'option',
          'aria-selected': String(selected),
          'data-slug': project.slug,
          tabindex: '0'
        }
      },
      titleRow,
      el('div', { className: 'jp-ScaleLabPanel-projectSlug', text: project.slug })
    );
    onActivate(item, () => {
      void this._openDashboard(project.slug);
    });
    return item;
  }

  private _renderCurrent(): void {
    const project = this._creating ? null : this._model.current;
    this._quickActions.hidden = project === null;
    this._hint.hidden =
      project !== null || this._creating || this._model.projects.length === 0;
    if (project === null) {
      return;
    }
    this._currentTitle.textContent = project.title || project.slug;
    this._currentRole.textContent = formatMyRole(project, this._model.user, this._trans);
    const commands = this._options.commands;
    this._dashboardButton.disabled = !commands.hasCommand(CommandIDs.openProjectDashboard);
    this._workspaceButton.disabled = !commands.hasCommand(CommandIDs.openProject);
    this._experimentsButton.disabled = !commands.hasCommand(CommandIDs.openExperiments);
  }

  private readonly _options: ProjectsSectionOptions;
  private readonly _model: ProjectsModel;
  private readonly _trans: TranslationBundle;
  private readonly _error: HTMLElement;
  private readonly _status: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _listStatus: HTMLElement;
  private readonly _slugInput: HTMLInputElement;
  private readonly _titleInput: HTMLInputElement;
  private readonly _template: HTMLSelectElement;
  private readonly _createButton: HTMLButtonElement;
  private readonly _formError: HTMLElement;
  private readonly _current: HTMLElement;
  private readonly _hint: HTMLElement;
  private readonly _currentTitle: HTMLElement;
  private readonly _currentRole: HTMLElement;
  private readonly _dashboardButton: HTMLButtonElement;
  private readonly _workspaceButton: HTMLButtonElement;
  private readonly _experimentsButton: HTMLButtonElement;
  private readonly _quickActions: HTMLElement;
  private _shownError: ProjectsError | null = null;
  private _creating = false;
}
