import { type JupyterFrontEnd } from '@jupyterlab/application';
import { type CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  type HealthModel,
  type RunModel,
  ScaleLabAPIError,
  type ScaleLabClient,
  type ScheduleModel,
  type UserModel
} from './common/api';
import { deploymentNotice } from './common/helpers';
import { scalelabIcon } from './common/icons';
import { SessionModel } from './common/session';
import { DEFAULT_SETTINGS, type ScaleLabSettings } from './common/settings';
import { plainTrans, type TranslationBundle } from './common/trans';
import { ProjectDashboards } from './projects/dashboard';
import { type AskDeleteConfirmation } from './projects/details';
import { ProjectsModel } from './projects/model';
import { ProjectsSection } from './projects/section';

/** Options for {@link ScaleLabPanel}. */
export interface ScaleLabPanelOptions {
  client: ScaleLabClient;
  /**
   * The commands its buttons execute across features (see `CommandIDs`);
   * a command that is not registered disables its button.
   */
  commands: CommandRegistry;
  /** Where the project dashboards open (the main area). */
  shell: Pick<JupyterFrontEnd.IShell, 'add' | 'activateById'>;
  /** The `scalelab` translation bundle; default: English. */
  trans?: TranslationBundle;
  /** The poll intervals; default: the schema's defaults. */
  settings?: Partial<ScaleLabSettings>;
  /** Ask for the slug before deleting; defaults to a JupyterLab dialog. */
  askDeleteConfirmation?: AskDeleteConfirmation;
}

/** Format a user for display. */
export function formatUser(user: UserModel, trans: TranslationBundle = plainTrans): string {
  return user.admin ? trans.__('%1 (admin)', user.name) : user.name;
}

/** Format the service health for display. */
export function formatHealth(
  health: HealthModel,
  trans: TranslationBundle = plainTrans
): string {
  const { backend, error } = health.database;
  const db = health.database.ok
    ? trans.__('database %1', backend)
    : trans.__('database %1 unavailable', backend) + (error ? ` (${error})` : '');
  return trans.__('Service %1 · v%2 · %3', health.status, health.version, db);
}

function describeError(what: string, err: unknown, trans: TranslationBundle): string {
  if (err instanceof ScaleLabAPIError) {
    const id = err.requestId ? trans.__(' [request %1]', err.requestId) : '';
    return trans.__('Could not load %1: %2 %3', what, err.status, err.message) + id;
  }
  const message = err instanceof Error ? err.message : String(err);
  return trans.__('Could not load %1: %2', what, message);
}

/** A labelled row whose value element carries `data-testid`. */
function makeField(testid: string, label: string): { row: HTMLElement; value: HTMLElement } {
  const row = document.createElement('div');
  row.className = 'jp-ScaleLabPanel-row';
  const labelNode = document.createElement('span');
  labelNode.className = 'jp-ScaleLabPanel-label';
  labelNode.textContent = `${label}: `;
  const value = document.createElement('span');
  value.className = 'jp-ScaleLabPanel-value';
  value.dataset.testid = testid;
  row.append(labelNode, value);
  return { row, value };
}

/**
 * The ScaleLab side panel: signed-in user, service health, my projects
 * (create, switch) and quick actions on the current project.
 *
 * It owns the {@link session} and {@link projectsModel}, and the
 * {@link dashboards}: a project opens as a main-area dashboard (overview,
 * runs, schedules, members, audit) that owns its runs and schedules models.
 */
export class ScaleLabPanel extends Widget {
  constructor(options: ScaleLabPanelOptions) {
    super();
    const { client } = options;
    const trans = (this._trans = options.trans ?? plainTrans);
    const settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.id = 'scalelab-panel';
    this.addClass('jp-ScaleLabPanel');
    this.title.icon = scalelabIcon;
    this.title.caption = trans.__('ScaleLab');

    this.session = new SessionModel(client);
    this.projectsModel = new ProjectsModel(client);
    this.dashboards = new ProjectDashboards({
      shell: options.shell,
      projects: this.projectsModel,
      client,
      commands: options.commands,
      trans,
      settings,
      askDeleteConfirmation: options.askDeleteConfirmation
    });
    this.session.changed.connect(this._renderSession, this);

    const heading = document.createElement('h2');
    heading.className = 'jp-ScaleLabPanel-heading';
    heading.textContent = trans.__('ScaleLab');

    const userRow = makeField('scalelab-user', trans.__('User'));
    this._userNode = userRow.value;
    const healthRow = makeField('scalelab-health', trans.__('Health'));
    this._healthNode = healthRow.value;

    this._noticeNode = document.createElement('div');
    this._noticeNode.className = 'jp-ScaleLabPanel-notice';
    this._noticeNode.dataset.testid = 'scalelab-deployment-notice';
    this._noticeNode.hidden = true;

    this._errorNode = document.createElement('div');
    this._errorNode.className = 'jp-ScaleLabPanel-error';
    this._errorNode.dataset.testid = 'scalelab-error';
    this._errorNode.setAttribute('role', 'alert');
    this._errorNode.hidden = true;

    this._refreshButton = document.createElement('button');
    this._refreshButton.type = 'button';
    this._refreshButton.className = 'jp-ScaleLabPanel-refresh jp-mod-styled jp-mod-accept';
    this._refreshButton.textContent = trans.__('Refresh');
    this._refreshButton.addEventListener('click', () => {
      void this.refresh();
    });

    this._projects = new ProjectsSection({
      model: this.projectsModel,
      commands: options.commands,
      trans
    });

    this.node.append(
      heading,
      userRow.row,
      healthRow.row,
      this._noticeNode,
      this._errorNode,
      this._refreshButton,
      this._projects.node
    );
  }

  /** Who is signed in, and the service health. */
  readonly session: SessionModel;
  /** My projects and the current one. */
  readonly projectsModel: ProjectsModel;
  /** The open project dashboards (main-area tabs). */
  readonly dashboards: ProjectDashboards;

  /** The "Projects" section. */
  get projects(): ProjectsSection {
    return this._projects;
  }

  /** Use new poll intervals. */
  configure(settings: Partial<ScaleLabSettings>): void {
    this.dashboards.configure(settings);
  }

  /** Reload the user, the health and the projects from the server. */
  async refresh(): Promise<void> {
    await Promise.all([this.session.refresh(), this.projectsModel.refresh()]);
  }

  /**
   * Make `slug` the current project and show `run` selected (e.g. a run just
   * started) in the Runs tab of its dashboard.
   */
  async showRun(slug: string, run: RunModel): Promise<void> {
    await this.dashboards.showRun(slug, run);
  }

  /**
   * Make `slug` the current project and show `schedule` highlighted (e.g.
   * one just created) in the Schedules tab of its dashboard.
   */
  async showSchedule(slug: string, schedule: ScheduleModel): Promise<void> {
    await this.dashboards.showSchedule(slug, schedule);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._projects.dispose();
    this.dashboards.dispose();
    this.session.changed.disconnect(this._renderSession, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.refresh();
  }

  private _renderSession(): void {
    const trans = this._trans;
    const session = this.session;
    this._refreshButton.disabled = session.loading;
    if (session.loading) {
      this._userNode.textContent = trans.__('Loading…');
      this._healthNode.textContent = trans.__('Loading…');
      return;
    }
    const errors: string[] = [];
    if (session.user) {
      this._userNode.textContent = formatUser(session.user, trans);
      if (this.projectsModel.user !== session.user) {
        this.projectsModel.user = session.user;
      }
    } else {
      this._userNode.textContent = '—';
      errors.push(describeError(trans.__('user'), session.userError, trans));
    }
    if (session.health) {
      this._healthNode.textContent = formatHealth(session.health, trans);
      const notice = deploymentNotice(session.health, trans);
      this._noticeNode.textContent = notice ?? '';
      this._noticeNode.hidden = notice === null;
    } else {
      this._healthNode.textContent = '—';
      this._noticeNode.hidden = true;
      errors.push(describeError(trans.__('service health'), session.healthError, trans));
    }
    this._errorNode.textContent = errors.join('\n');
    this._errorNode.hidden = errors.length === 0;
  }

  private readonly _trans: TranslationBundle;
  private readonly _userNode: HTMLElement;
  private readonly _healthNode: HTMLElement;
  private readonly _noticeNode: HTMLElement;
  private readonly _errorNode: HTMLElement;
  private readonly _refreshButton: HTMLButtonElement;
  private readonly _projects: ProjectsSection;
}
