import {
  type DeletedProject,
  type ProjectCreate,
  type ProjectModel,
  type RunModel,
  type ScaleLabClient,
  type ScheduleModel,
  type UserModel
} from './api';
import {
  type AskDeleteConfirmation,
  type OpenWorkspace,
  ProjectDetails
} from './details';
import { button, classes, el, errorLine, input, select, setError } from './dom';
import {
  errorMessage,
  mergePreferences,
  PROJECT_PREFERENCE,
  preferredProject,
  sortProjects
} from './helpers';
import { type OpenOutput, RunsView, type ShowDiff } from './runs';
import { type OpenScheduleDialog } from './schedulehelpers';
import { type ConfirmDeleteSchedule, SchedulesView } from './schedules';

/** The views of the current project, one tab each. */
export type ProjectView = 'runs' | 'schedules';

const TEMPLATES: readonly NonNullable<ProjectCreate['template']>[] = [
  'empty',
  'example'
];

/** Options for {@link ProjectsSection}. */
export interface ProjectsSectionOptions {
  client: ScaleLabClient;
  /** Missing when JupyterLab has no default file browser. */
  openWorkspace?: OpenWorkspace;
  askDeleteConfirmation: AskDeleteConfirmation;
  /** Opens a run step's output notebook; missing: "Open output" disabled. */
  openOutput?: OpenOutput;
  /** Shows a diff between two runs; missing: "Compare" disabled. */
  showDiff?: ShowDiff;
  /** The schedule dialog; missing: no "Schedule…" on runs, no Edit. */
  openScheduleDialog?: OpenScheduleDialog;
  /** Asks before deleting a schedule; missing: delete without asking. */
  confirmDeleteSchedule?: ConfirmDeleteSchedule;
}

/**
 * The "Projects" section of the panel: my projects, the "New project" form
 * and the details of the current project.
 *
 * The current project is remembered in the `project` user preference.
 */
export class ProjectsSection {
  readonly node: HTMLElement;

  constructor(options: ProjectsSectionOptions) {
    this._options = options;
    this._client = options.client;

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
      attrs: { role: 'listbox', 'aria-label': 'My projects' }
    });
    this._listStatus = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      text: 'Loading…'
    });

    this._slugInput = input('slug', 'my-project', {
      attrs: { 'aria-label': 'Project slug' }
    });
    this._titleInput = input('title', 'Title (optional)', {
      attrs: { 'aria-label': 'Project title' }
    });
    this._template = select('template', TEMPLATES, 'empty', {
      attrs: { 'aria-label': 'Template' }
    });
    this._createButton = button('Create', null, { accept: true });
    this._formError = errorLine('scalelab-form-error');
    const form = el(
      'form',
      { className: 'jp-ScaleLabPanel-newProject', testid: 'scalelab-new-project' },
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: 'New project' }),
      el(
        'div',
        { className: 'jp-ScaleLabPanel-inline' },
        this._slugInput,
        this._titleInput
      ),
      el(
        'div',
        { className: 'jp-ScaleLabPanel-inline' },
        this._template,
        this._createButton
      ),
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
      text: 'Select a project to see its details.'
    });
    this._current.append(this._hint);
    const openDialog = options.openScheduleDialog;
    this._runs = new RunsView({
      client: this._client,
      openOutput: options.openOutput,
      showDiff: options.showDiff,
      scheduleRun: openDialog
        ? run => {
            void this._scheduleRun(run, openDialog);
          }
        : undefined
    });
    this._schedules = new SchedulesView({
      client: this._client,
      openScheduleDialog: openDialog,
      confirmDelete: options.confirmDeleteSchedule,
      openRun: (slug, runId) => {
        void this._openRun(slug, runId);
      }
    });
    const tab = (label: string, view: ProjectView, testid: string): HTMLButtonElement =>
      button(
        label,
        () => {
          this.selectView(view);
        },
        {
          className: 'jp-ScaleLabPanel-tab',
          testid,
          attrs: { role: 'tab', 'data-view': view }
        }
      );
    this._runsTab = tab('Runs', 'runs', 'scalelab-runs-tab');
    this._schedulesTab = tab('Schedules', 'schedules', 'scalelab-schedules-tab');
    this._tabs = el(
      'div',
      {
        className: 'jp-ScaleLabPanel-tabs',
        testid: 'scalelab-project-tabs',
        attrs: { role: 'tablist', 'aria-label': 'Project views' }
      },
      this._runsTab,
      this._schedulesTab
    );
    this._runsHost = el('div', { attrs: { role: 'tabpanel' } }, this._runs.node);
    this._schedulesHost = el('div', { attrs: { role: 'tabpanel' } }, this._schedules.node);
    this._tabs.hidden = true;
    this._renderTabs();

    this.node = el(
      'section',
      { className: 'jp-ScaleLabPanel-projects' },
      el('h3', { className: 'jp-ScaleLabPanel-sectionHeading', text: 'Projects' }),
      this._error,
      this._status,
      this._listStatus,
      this._list,
      form,
      this._current,
      this._tabs,
      this._runsHost,
      this._schedulesHost
    );
  }

  /** The runs of the current project. */
  get runs(): RunsView {
    return this._runs;
  }

  /** The schedules of the current project. */
  get schedules(): SchedulesView {
    return this._schedules;
  }

  /** The view shown for the current project. */
  get view(): ProjectView {
    return this._view;
  }

  /** Show the Runs or the Schedules of the current project. */
  selectView(view: ProjectView): void {
    this._view = view;
    this._renderTabs();
  }

  /** Poll the runs and schedules while `active` (the panel is shown). */
  setActive(active: boolean): void {
    this._runs.setActive(active);
    this._schedules.setActive(active);
  }

  /** Stop polling for good. */
  dispose(): void {
    this._runs.dispose();
    this._schedules.dispose();
  }

  /**
   * Make `slug` the current project and select `run` in its runs
   * (e.g. a run just started).
   */
  async showRun(slug: string, run: RunModel): Promise<void> {
    if (!this._projects.some(p => p.slug === slug)) {
      await this.refresh();
    }
    if (!this._projects.some(p => p.slug === slug)) {
      return;
    }
    const selecting = this.select(slug);
    this.selectView('runs');
    await this._runs.showRun(run);
    await selecting;
  }

  /**
   * Make `slug` the current project and show `schedule` in its schedules
   * (e.g. one just created).
   */
  async showSchedule(slug: string, schedule: ScheduleModel): Promise<void> {
    if (!this._projects.some(p => p.slug === slug)) {
      await this.refresh();
    }
    if (!this._projects.some(p => p.slug === slug)) {
      return;
    }
    const selecting = this.select(slug);
    this.selectView('schedules');
    await this._schedules.showSchedule(schedule);
    await selecting;
  }

  /** The slug of the current project, if any. */
  get currentSlug(): string | null {
    return this._currentSlug;
  }

  /** Set the signed-in user (hub admins may manage every project). */
  setUser(user: UserModel | null): void {
    this._user = user;
    this._render();
  }

  /**
   * Reload my projects; the first time, also restore the current project
   * from the preferences.
   */
  async refresh(): Promise<void> {
    const id = ++this._refreshId;
    let projects: ProjectModel[];
    try {
      projects = sortProjects((await this._client.listProjects()).projects);
    } catch (err) {
      if (id === this._refreshId) {
        this._listStatus.hidden = true;
        setError(this._error, `Could not load projects: ${errorMessage(err)}`);
      }
      return;
    }
    if (!this._restored) {
      this._restored = true;
      try {
        const prefs = await this._client.getPreferences();
        this._currentSlug ??= preferredProject(prefs.preferences, projects);
      } catch (err) {
        console.warn('ScaleLab: could not load preferences', err);
      }
    }
    if (id !== this._refreshId) {
      return;
    }
    setError(this._error, null);
    this._projects = projects;
    this._loaded = true;
    if (
      this._currentSlug !== null &&
      !projects.some(p => p.slug === this._currentSlug)
    ) {
      this._currentSlug = null;
    }
    this._render();
  }

  /** Make `slug` the current project and remember it in the preferences. */
  async select(slug: string | null): Promise<void> {
    if (slug === this._currentSlug) {
      return;
    }
    this._currentSlug = slug;
    this._render();
    await this._savePreference(slug);
  }

  private async _savePreference(slug: string | null): Promise<void> {
    try {
      const current = await this._client.getPreferences();
      await this._client.setPreferences(
        mergePreferences(current.preferences, {
          [PROJECT_PREFERENCE]: slug ?? undefined
        })
      );
    } catch (err) {
      setError(
        this._error,
        `Could not remember the current project: ${errorMessage(err)}`
      );
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
    try {
      const project = await this._client.createProject(body);
      this._slugInput.value = '';
      this._titleInput.value = '';
      this._template.value = 'empty';
      this._showStatus(null);
      await this.refresh();
      await this.select(project.slug);
    } catch (err) {
      setError(this._formError, errorMessage(err));
    } finally {
      this._createButton.disabled = false;
    }
  }

  private _renderTabs(): void {
    for (const [tab, view] of [
      [this._runsTab, 'runs'],
      [this._schedulesTab, 'schedules']
    ] as const) {
      const selected = view === this._view;
      tab.classList.toggle('jp-mod-selected', selected);
      tab.setAttribute('aria-selected', String(selected));
    }
    this._runsHost.hidden = this._view !== 'runs';
    this._schedulesHost.hidden = this._view !== 'schedules';
    this._schedules.setVisible(this._view === 'schedules');
  }

  /** "Schedule…" on a run: the dialog, prefilled; then show the schedule. */
  private async _scheduleRun(run: RunModel, open: OpenScheduleDialog): Promise<void> {
    const slug = run.project;
    try {
      const saved = await open({ slug, target: run.target, values: run.parameters });
      if (saved) {
        await this.showSchedule(slug, saved);
      }
    } catch (err) {
      setError(this._error, `Could not schedule ${run.target}: ${errorMessage(err)}`);
    }
  }

  /** A run id in a schedule's history: show that run in the Runs view. */
  private async _openRun(slug: string, runId: string): Promise<void> {
    try {
      const run = await this._client.getRun(slug, runId);
      await this.showRun(slug, run);
    } catch (err) {
      setError(this._error, `Could not show run ${runId}: ${errorMessage(err)}`);
    }
  }

  private _onDeleted(deleted: DeletedProject): void {
    this._showStatus(
      `Deleted ${deleted.slug}; its workspace was archived to ${deleted.archive}.`
    );
    if (this._currentSlug === deleted.slug) {
      void this.select(null);
    }
    void this.refresh();
  }

  private _showStatus(message: string | null): void {
    this._status.textContent = message ?? '';
    this._status.hidden = !message;
  }

  private _render(): void {
    this._renderList();
    this._renderCurrent();
  }

  private _renderList(): void {
    this._listStatus.hidden = this._loaded && this._projects.length > 0;
    this._listStatus.textContent = this._loaded
      ? 'No projects yet. Create one below.'
      : 'Loading…';
    this._list.hidden = this._projects.length === 0;
    this._list.replaceChildren(...this._projects.map(p => this._item(p)));
  }

  private _item(project: ProjectModel): HTMLLIElement {
    const selected = project.slug === this._currentSlug;
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
        text: project.my_role ?? (this._user?.admin ? 'admin' : 'none')
      })
    );
    if (project.archived) {
      titleRow.append(
        el('span', {
          className: 'jp-ScaleLabPanel-archived',
          testid: 'scalelab-project-archived',
          text: 'archived'
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
      el('div', {
        className: 'jp-ScaleLabPanel-projectSlug',
        text: project.slug
      })
    );
    item.addEventListener('click', () => {
      void this.select(project.slug);
    });
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        void this.select(project.slug);
      }
    });
    return item;
  }

  private _renderCurrent(): void {
    const project =
      this._projects.find(p => p.slug === this._currentSlug) ?? null;
    this._runs.setProject(project, this._user);
    this._schedules.setProject(project, this._user);
    this._tabs.hidden = project === null;
    if (project === null) {
      this._details = null;
      this._current.replaceChildren(this._hint);
      this._hint.hidden = this._projects.length === 0;
      return;
    }
    if (this._details?.slug === project.slug) {
      this._details.update(project, this._user);
      return;
    }
    this._details = new ProjectDetails({
      client: this._client,
      project,
      user: this._user,
      openWorkspace: this._options.openWorkspace,
      askDeleteConfirmation: this._options.askDeleteConfirmation,
      onChanged: () => {
        void this.refresh();
      },
      onDeleted: deleted => {
        this._onDeleted(deleted);
      }
    });
    this._current.replaceChildren(this._details.node);
  }

  private readonly _options: ProjectsSectionOptions;
  private readonly _client: ScaleLabClient;
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
  private readonly _runs: RunsView;
  private readonly _schedules: SchedulesView;
  private readonly _tabs: HTMLElement;
  private readonly _runsTab: HTMLButtonElement;
  private readonly _schedulesTab: HTMLButtonElement;
  private readonly _runsHost: HTMLElement;
  private readonly _schedulesHost: HTMLElement;
  private _view: ProjectView = 'runs';
  private _details: ProjectDetails | null = null;
  private _projects: ProjectModel[] = [];
  private _currentSlug: string | null = null;
  private _user: UserModel | null = null;
  private _loaded = false;
  private _restored = false;
  private _refreshId = 0;
}
