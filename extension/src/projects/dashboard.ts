import { type JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { type CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { TabPanel, Widget } from '@lumino/widgets';

import {
  type DeletedProject,
  type ProjectModel,
  type RunModel,
  type ScaleLabClient,
  type ScheduleModel
} from '../common/api';
import { CommandIDs } from '../common/commands';
import { button, el } from '../common/dom';
import { projectPermissions } from '../common/helpers';
import { scalelabIcon } from '../common/icons';
import { DEFAULT_SETTINGS, type ScaleLabSettings } from '../common/settings';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { browserEndpointUrl } from '../deployments/commands';
import { DeploymentsModel } from '../deployments/model';
import { DeploymentsView } from '../deployments/view';
import { ModelsModel } from '../models/model';
import { ModelsView } from '../models/view';
import { MonitorsModel } from '../monitors/model';
import { MonitorsView } from '../monitors/view';
import { RunsModel } from '../runs/model';
import { RunsView } from '../runs/view';
import { SchedulesModel } from '../schedules/model';
import { SchedulesView } from '../schedules/view';
import { type AskDeleteConfirmation, ProjectDetails } from './details';
import { type ProjectsModel } from './model';

/** The tabs of a project dashboard. */
export type DashboardTab =
  | 'overview'
  | 'runs'
  | 'schedules'
  | 'models'
  | 'deployments'
  | 'monitors'
  | 'members'
  | 'audit';

/** The tabs, in order. */
export const DASHBOARD_TABS: readonly DashboardTab[] = [
  'overview',
  'runs',
  'schedules',
  'models',
  'deployments',
  'monitors',
  'members',
  'audit'
];

/** Whether `value` names a dashboard tab. */
export function isDashboardTab(value: unknown): value is DashboardTab {
  return typeof value === 'string' && (DASHBOARD_TABS as readonly string[]).includes(value);
}

/** Options for {@link ProjectDashboard}. */
export interface ProjectDashboardOptions {
  /** The project shown. */
  slug: string;
  /** My projects: the shown one is looked up (and kept current) there. */
  projects: ProjectsModel;
  /** For the runs, schedules, models, deployments, monitors, members and audit log. */
  client: ScaleLabClient;
  /** The cross-feature actions (open a workspace, an output, a diff, a run, the experiments…). */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** The poll intervals; default: the schema's defaults. */
  settings?: Partial<ScaleLabSettings>;
  /** Default: a JupyterLab dialog. */
  askDeleteConfirmation?: AskDeleteConfirmation;
}

/**
 * The dashboard of one project, one tab each: Overview (title, role,
 * workspace, rename/archive/delete, quick actions), Runs, Schedules,
 * Models (the model registry), Deployments (the model endpoints), Monitors
 * (drift checks on the endpoints), Members and, for owners and hub admins, Audit.
 *
 * It owns the {@link runsModel}, {@link schedulesModel}, {@link modelsModel},
 * {@link deploymentsModel} and {@link monitorsModel} of its project; they poll
 * while the dashboard is shown (all but the runs only while their tab is
 * selected).
 */
export class ProjectDashboard extends TabPanel {
  constructor(options: ProjectDashboardOptions) {
    super({ tabPlacement: 'top' });
    this._options = options;
    this.slug = options.slug;
    const { client, commands } = options;
    const trans = (this._trans = options.trans ?? plainTrans);
    const settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.addClass('jp-ScaleLabDashboard');
    this.title.label = options.slug;
    this.title.caption = trans.__('ScaleLab project %1', options.slug);
    this.title.icon = scalelabIcon;

    this.runsModel = new RunsModel({ client, interval: settings.runsPollInterval });
    this.schedulesModel = new SchedulesModel({
      client,
      interval: settings.schedulesPollInterval
    });
    this.modelsModel = new ModelsModel({
      client,
      interval: settings.schedulesPollInterval
    });
    this.deploymentsModel = new DeploymentsModel({
      client,
      interval: settings.schedulesPollInterval
    });
    this.monitorsModel = new MonitorsModel({
      client,
      interval: settings.schedulesPollInterval
    });
    this._runs = new RunsView({ model: this.runsModel, commands, trans });
    this._models = new ModelsView({ model: this.modelsModel, commands, trans });
    this._deployments = new DeploymentsView({
      model: this.deploymentsModel,
      client,
      commands,
      trans,
      endpointUrl: browserEndpointUrl
    });
    this._monitors = new MonitorsView({ model: this.monitorsModel, client, commands, trans });
    this._schedules = new SchedulesView({
      model: this.schedulesModel,
      client,
      commands,
      trans
    });

    this._status = el('div', {
      className: 'jp-ScaleLabPanel-muted',
      testid: 'scalelab-dashboard-status',
      text: trans.__('Loading…')
    });
    this._detailsHost = el('div', { className: 'jp-ScaleLabDashboard-details' });
    const quick = (label: string, tab: DashboardTab): HTMLButtonElement =>
      button(
        label,
        () => {
          this.selectTab(tab);
        },
        { testid: `scalelab-dashboard-show-${tab}` }
      );
    this._quickActions = el(
      'div',
      {
        className: 'jp-ScaleLabPanel-actions jp-ScaleLabDashboard-quickActions',
        testid: 'scalelab-dashboard-actions'
      },
      quick(trans.__('Runs'), 'runs'),
      quick(trans.__('Schedules'), 'schedules'),
      quick(trans.__('Models'), 'models'),
      quick(trans.__('Deployments'), 'deployments'),
      quick(trans.__('Monitors'), 'monitors'),
      quick(trans.__('Members'), 'members'),
      this._experimentsButton()
    );
    this._quickActions.hidden = true;
    this._membersHost = el('div', { className: 'jp-ScaleLabDashboard-members' });
    this._auditHost = el('div', { className: 'jp-ScaleLabDashboard-audit' });

    this._pages = {
      overview: this._page(
        'overview',
        trans.__('Overview'),
        this._status,
        this._detailsHost,
        this._quickActions
      ),
      runs: this._page('runs', trans.__('Runs'), this._runs.node),
      schedules: this._page('schedules', trans.__('Schedules'), this._schedules.node),
      models: this._page('models', trans.__('Models'), this._models.node),
      deployments: this._page('deployments', trans.__('Deployments'), this._deployments.node),
      monitors: this._page('monitors', trans.__('Monitors'), this._monitors.node),
      members: this._page('members', trans.__('Members'), this._membersHost),
      audit: this._page('audit', trans.__('Audit'), this._auditHost)
    };
    for (const tab of DASHBOARD_TABS) {
      if (tab !== 'audit') {
        this.addWidget(this._pages[tab]);
      }
    }
    this.node.dataset.testid = 'scalelab-dashboard';
    this.node.dataset.slug = options.slug;

    this.currentChanged.connect(this._onTabChanged, this);
    options.projects.changed.connect(this._render, this);
    this._render();
  }

  /** The slug of the shown project. */
  readonly slug: string;
  /** The runs of the project. */
  readonly runsModel: RunsModel;
  /** The schedules of the project. */
  readonly schedulesModel: SchedulesModel;
  /** The registered models of the project. */
  readonly modelsModel: ModelsModel;
  /** The model endpoints of the project. */
  readonly deploymentsModel: DeploymentsModel;
  /** The monitors of the project's endpoints. */
  readonly monitorsModel: MonitorsModel;

  /** The shown project, once found among mine. */
  get project(): ProjectModel | null {
    return this._options.projects.find(this.slug);
  }

  /** The selected tab. */
  get tab(): DashboardTab {
    const current = this.currentWidget;
    return DASHBOARD_TABS.find(tab => this._pages[tab] === current) ?? 'overview';
  }

  /** Show a tab (the Audit tab only to those who may see it). */
  selectTab(tab: DashboardTab): void {
    const page = this._pages[tab];
    if (page.parent !== null) {
      this.currentWidget = page;
    }
  }

  /** Use new poll intervals. */
  configure(settings: Partial<ScaleLabSettings>): void {
    if (settings.runsPollInterval !== undefined) {
      this.runsModel.interval = settings.runsPollInterval;
    }
    if (settings.schedulesPollInterval !== undefined) {
      this.schedulesModel.interval = settings.schedulesPollInterval;
      this.modelsModel.interval = settings.schedulesPollInterval;
      this.deploymentsModel.interval = settings.schedulesPollInterval;
      this.monitorsModel.interval = settings.schedulesPollInterval;
    }
  }

  /** Find the project among mine (reloading them if need be). */
  async ensure(): Promise<boolean> {
    const found = await this._options.projects.ensure(this.slug);
    this._render();
    return found;
  }

  /** Show the Runs tab with `run` selected (e.g. a run just started). */
  async showRun(run: RunModel): Promise<void> {
    if (!(await this.ensure())) {
      return;
    }
    this.selectTab('runs');
    const showing = this.runsModel.showRun(run);
    this._runs.revealSelected();
    await showing;
    this._runs.revealSelected();
  }

  /** Show the Schedules tab with `schedule` highlighted (e.g. one just made). */
  async showSchedule(schedule: ScheduleModel): Promise<void> {
    if (!(await this.ensure())) {
      return;
    }
    this.selectTab('schedules');
    const showing = this.schedulesModel.showSchedule(schedule);
    this._schedules.revealHighlighted();
    await showing;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.projects.changed.disconnect(this._render, this);
    this._details?.dispose();
    this._runs.dispose();
    this._schedules.dispose();
    this._models.dispose();
    this._deployments.dispose();
    this._monitors.dispose();
    this.runsModel.dispose();
    this.schedulesModel.dispose();
    this.modelsModel.dispose();
    this.deploymentsModel.dispose();
    this.monitorsModel.dispose();
    // The Audit page is not disposed with the tabs while it is not one.
    this._pages.audit.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this._setActive(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._setActive(true);
  }

  protected onBeforeHide(msg: Message): void {
    this._setActive(false);
    super.onBeforeHide(msg);
  }

  /** A tab: a scrolling page around `content`. */
  private _page(tab: DashboardTab, label: string, ...content: HTMLElement[]): Widget {
    const page = new Widget({
      node: el('div', { className: `jp-ScaleLabDashboard-page jp-ScaleLabDashboard-${tab}Page` })
    });
    page.node.append(...content);
    page.id = `scalelab-dashboard-${this.slug}-${tab}`;
    page.title.label = label;
    page.title.dataset = { testid: `scalelab-dashboard-tab-${tab}` };
    return page;
  }

  /** "Experiments": the project's MLflow UI in a new browser tab. */
  private _experimentsButton(): HTMLButtonElement {
    const { commands } = this._options;
    const node = button(
      this._trans.__('Experiments'),
      () => {
        void commands.execute(CommandIDs.openExperiments, { slug: this.slug });
      },
      {
        testid: 'scalelab-dashboard-experiments',
        title: this._trans.__("The project's experiments (MLflow), in a new browser tab")
      }
    );
    node.disabled = !commands.hasCommand(CommandIDs.openExperiments);
    return node;
  }

  /** Poll the runs and the other tabs' lists while `active` (the dashboard is shown). */
  private _setActive(active: boolean): void {
    this._active = active;
    this.runsModel.setActive(active);
    this.schedulesModel.setActive(active);
    this.schedulesModel.setVisible(this.tab === 'schedules');
    this.modelsModel.setActive(active);
    this.modelsModel.setVisible(this.tab === 'models');
    this.deploymentsModel.setActive(active);
    this.deploymentsModel.setVisible(this.tab === 'deployments');
    this.monitorsModel.setActive(active);
    this.monitorsModel.setVisible(this.tab === 'monitors');
  }

  private _onTabChanged(): void {
    this.schedulesModel.setVisible(this.tab === 'schedules');
    this.modelsModel.setVisible(this.tab === 'models');
    this.deploymentsModel.setVisible(this.tab === 'deployments');
    this.monitorsModel.setVisible(this.tab === 'monitors');
    if (this.tab === 'audit' && this._details !== null) {
      const audit = this._details.audit;
      if (audit.node.open) {
        void audit.reloadIfOpen();
      } else {
        audit.node.open = true; // loads it
      }
    }
    if (this._active) {
      this.runsModel.setActive(true);
    }
  }

  private _render(): void {
    const projects = this._options.projects;
    const project = this.project;
    const user = projects.user;
    if (project === null) {
      this._status.textContent = projects.loaded
        ? this._trans.__('Project %1 is not among yours.', this.slug)
        : this._trans.__('Loading…');
      this._status.hidden = false;
      return;
    }
    this._status.hidden = true;
    this.title.label = project.title || project.slug;
    if (this._details === null) {
      this._details = new ProjectDetails({
        model: projects,
        client: this._options.client,
        project,
        user,
        commands: this._options.commands,
        trans: this._trans,
        askDeleteConfirmation: this._options.askDeleteConfirmation
      });
      this._detailsHost.replaceChildren(this._details.node);
      this._membersHost.replaceChildren(this._details.members.node);
      this._auditHost.replaceChildren(this._details.audit.node);
      this._quickActions.hidden = false;
    } else {
      this._details.update(project, user);
    }
    this.runsModel.setProject(project, user);
    this.schedulesModel.setProject(project, user);
    this.modelsModel.setProject(project, user);
    this.deploymentsModel.setProject(project, user);
    this.monitorsModel.setProject(project, user);

    const audit = this._pages.audit;
    const canAudit = projectPermissions(project, user).manage;
    if (canAudit && audit.parent === null) {
      this.addWidget(audit);
    } else if (!canAudit && audit.parent !== null) {
      if (this.currentWidget === audit) {
        this.selectTab('overview');
      }
      audit.parent = null;
    }
  }

  private readonly _options: ProjectDashboardOptions;
  private readonly _trans: TranslationBundle;
  private readonly _runs: RunsView;
  private readonly _schedules: SchedulesView;
  private readonly _models: ModelsView;
  private readonly _deployments: DeploymentsView;
  private readonly _monitors: MonitorsView;
  private readonly _status: HTMLElement;
  private readonly _detailsHost: HTMLElement;
  private readonly _quickActions: HTMLElement;
  private readonly _membersHost: HTMLElement;
  private readonly _auditHost: HTMLElement;
  private readonly _pages: Record<DashboardTab, Widget>;
  private _details: ProjectDetails | null = null;
  private _active = false;
}

/** Options for {@link ProjectDashboards}. */
export interface ProjectDashboardsOptions extends Omit<ProjectDashboardOptions, 'slug'> {
  /** Where the dashboards open (the main area). */
  shell: Pick<JupyterFrontEnd.IShell, 'add' | 'activateById'>;
}

/**
 * The open project dashboards, one main-area tab per project, reused if
 * already open; closed when their project is deleted.
 */
export class ProjectDashboards {
  constructor(options: ProjectDashboardsOptions) {
    this._options = options;
    this._settings = { ...DEFAULT_SETTINGS, ...options.settings };
    options.projects.deleted.connect(this._onDeleted, this);
  }

  /** The open dashboards (for the layout restorer). */
  readonly tracker = new WidgetTracker<MainAreaWidget<ProjectDashboard>>({
    namespace: 'scalelab-dashboard'
  });

  /** The open dashboard of project `slug`, if any. */
  find(slug: string): MainAreaWidget<ProjectDashboard> | null {
    return this.tracker.find(widget => widget.content.slug === slug) ?? null;
  }

  /**
   * Open (or reveal) the dashboard of project `slug`, at `tab` if given;
   * rejects if the project is not among mine.
   */
  async open(slug: string, tab?: DashboardTab): Promise<ProjectDashboard> {
    let widget = this.find(slug);
    if (widget === null) {
      const content = new ProjectDashboard({ ...this._options, settings: this._settings, slug });
      if (!(await content.ensure())) {
        content.dispose();
        throw new Error(
          (this._options.trans ?? plainTrans).__('Project %1 is not among yours.', slug)
        );
      }
      // Opened meanwhile by another call?
      widget = this.find(slug);
      if (widget === null) {
        widget = new MainAreaWidget({ content });
        widget.id = `scalelab-dashboard-${slug}`;
        widget.addClass('jp-ScaleLabDashboard-widget');
        widget.title.closable = true;
        widget.toolbar.hide(); // nothing to put there yet
        await this.tracker.add(widget);
        this._options.shell.add(widget, 'main');
      } else {
        content.dispose();
      }
    }
    if (tab !== undefined) {
      widget.content.selectTab(tab);
    }
    this._options.shell.activateById(widget.id);
    return widget.content;
  }

  /** Make `slug` current and show `run` in the Runs tab of its dashboard. */
  async showRun(slug: string, run: RunModel): Promise<void> {
    void this._options.projects.select(slug);
    const dashboard = await this.open(slug, 'runs');
    await dashboard.showRun(run);
  }

  /** Make `slug` current and show `schedule` in the Schedules tab of its dashboard. */
  async showSchedule(slug: string, schedule: ScheduleModel): Promise<void> {
    void this._options.projects.select(slug);
    const dashboard = await this.open(slug, 'schedules');
    await dashboard.showSchedule(schedule);
  }

  /** Use new poll intervals, in open and future dashboards. */
  configure(settings: Partial<ScaleLabSettings>): void {
    this._settings = { ...this._settings, ...settings };
    this.tracker.forEach(widget => {
      widget.content.configure(settings);
    });
  }

  /** Close the dashboards. */
  dispose(): void {
    this._options.projects.deleted.disconnect(this._onDeleted, this);
    this.tracker.forEach(widget => {
      widget.dispose();
    });
    this.tracker.dispose();
  }

  private _onDeleted(sender: ProjectsModel, deleted: DeletedProject): void {
    this.find(deleted.slug)?.dispose();
  }

  private readonly _options: ProjectDashboardsOptions;
  private _settings: ScaleLabSettings;
}
