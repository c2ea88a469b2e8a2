import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  type HealthModel,
  type RunModel,
  ScaleLabAPIError,
  type ScaleLabClient,
  type ScheduleModel,
  type UserModel
} from './api';
import { type AskDeleteConfirmation, type OpenWorkspace } from './details';
import { askDeleteConfirmation, confirmDeleteSchedule } from './dialogs';
import { deploymentNotice } from './helpers';
import { scalelabIcon } from './icons';
import { ProjectsSection } from './projects';
import { type OpenOutput, type ShowDiff } from './runs';
import { type OpenScheduleDialog } from './schedulehelpers';
import { openScheduleDialog } from './scheduleform';
import { type ConfirmDeleteSchedule } from './schedules';

/** Options for {@link ScaleLabPanel}. */
export interface ScaleLabPanelOptions {
  /**
   * Open a project's workspace folder; without it the "Open in file
   * browser" button is disabled.
   */
  openWorkspace?: OpenWorkspace;
  /** Ask for the slug before deleting; defaults to a JupyterLab dialog. */
  askDeleteConfirmation?: AskDeleteConfirmation;
  /** Open a run step's output notebook; without it "Open output" is disabled. */
  openOutput?: OpenOutput;
  /** Show a diff between two runs; without it "Compare" is disabled. */
  showDiff?: ShowDiff;
  /** The schedule dialog; defaults to a JupyterLab dialog. */
  openScheduleDialog?: OpenScheduleDialog;
  /** Ask before deleting a schedule; defaults to a JupyterLab dialog. */
  confirmDeleteSchedule?: ConfirmDeleteSchedule;
}

/** Format a user for display. */
export function formatUser(user: UserModel): string {
  return user.admin ? `${user.name} (admin)` : user.name;
}

/** Format the service health for display. */
export function formatHealth(health: HealthModel): string {
  const db = health.database.ok
    ? `database ${health.database.backend}`
    : `database ${health.database.backend} unavailable` +
      (health.database.error ? ` (${health.database.error})` : '');
  return `Service ${health.status} · v${health.version} · ${db}`;
}

function describeError(what: string, err: unknown): string {
  if (err instanceof ScaleLabAPIError) {
    const id = err.requestId ? ` [request ${err.requestId}]` : '';
    return `Could not load ${what}: ${err.status} ${err.message}${id}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `Could not load ${what}: ${message}`;
}

/** A labelled row whose value element carries `data-testid`. */
function makeField(
  testid: string,
  label: string
): { row: HTMLElement; value: HTMLElement } {
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

/** The ScaleLab side panel: signed-in user, service health and projects. */
export class ScaleLabPanel extends Widget {
  constructor(client: ScaleLabClient, options: ScaleLabPanelOptions = {}) {
    super();
    this._client = client;
    this.id = 'scalelab-panel';
    this.addClass('jp-ScaleLabPanel');
    this.title.icon = scalelabIcon;
    this.title.caption = 'ScaleLab';

    const heading = document.createElement('h2');
    heading.className = 'jp-ScaleLabPanel-heading';
    heading.textContent = 'ScaleLab';

    const userRow = makeField('scalelab-user', 'User');
    this._userNode = userRow.value;
    const healthRow = makeField('scalelab-health', 'Health');
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
    this._refreshButton.className =
      'jp-ScaleLabPanel-refresh jp-mod-styled jp-mod-accept';
    this._refreshButton.textContent = 'Refresh';
    this._refreshButton.addEventListener('click', () => {
      void this.refresh();
    });

    this._projects = new ProjectsSection({
      client,
      openWorkspace: options.openWorkspace,
      askDeleteConfirmation:
        options.askDeleteConfirmation ?? askDeleteConfirmation,
      openOutput: options.openOutput,
      showDiff: options.showDiff,
      openScheduleDialog:
        options.openScheduleDialog ?? (request => openScheduleDialog(client, request)),
      confirmDeleteSchedule: options.confirmDeleteSchedule ?? confirmDeleteSchedule
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

  /** The "Projects" section. */
  get projects(): ProjectsSection {
    return this._projects;
  }

  /** Reload the user, the health and the projects from the server. */
  async refresh(): Promise<void> {
    if (this._loading) {
      return this._loading;
    }
    this._loading = this._load().finally(() => {
      this._loading = null;
      this._refreshButton.disabled = false;
    });
    return this._loading;
  }

  /**
   * Show the runs of project `slug` with `run` selected (e.g. a run just
   * started); reveal the panel with `app.shell.activateById(panel.id)`.
   */
  async showRun(slug: string, run: RunModel): Promise<void> {
    await this._projects.showRun(slug, run);
  }

  /**
   * Show the schedules of project `slug` with `schedule` highlighted (e.g.
   * one just created); reveal the panel with `app.shell.activateById`.
   */
  async showSchedule(slug: string, schedule: ScheduleModel): Promise<void> {
    await this._projects.showSchedule(slug, schedule);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._projects.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._projects.setActive(this.isVisible);
    void this.refresh();
  }

  protected onBeforeDetach(msg: Message): void {
    this._projects.setActive(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._projects.setActive(true);
  }

  protected onBeforeHide(msg: Message): void {
    this._projects.setActive(false);
    super.onBeforeHide(msg);
  }

  private async _load(): Promise<void> {
    this._refreshButton.disabled = true;
    this._userNode.textContent = 'Loading…';
    this._healthNode.textContent = 'Loading…';
    const projects = this._projects.refresh();
    const [user, health] = await Promise.allSettled([
      this._client.me(),
      this._client.health()
    ]);
    const errors: string[] = [];
    if (user.status === 'fulfilled') {
      this._userNode.textContent = formatUser(user.value);
      this._projects.setUser(user.value);
    } else {
      this._userNode.textContent = '—';
      errors.push(describeError('user', user.reason));
    }
    if (health.status === 'fulfilled') {
      this._healthNode.textContent = formatHealth(health.value);
      const notice = deploymentNotice(health.value);
      this._noticeNode.textContent = notice ?? '';
      this._noticeNode.hidden = notice === null;
    } else {
      this._healthNode.textContent = '—';
      this._noticeNode.hidden = true;
      errors.push(describeError('service health', health.reason));
    }
    this._errorNode.textContent = errors.join('\n');
    this._errorNode.hidden = errors.length === 0;
    await projects;
  }

  private readonly _client: ScaleLabClient;
  private readonly _userNode: HTMLElement;
  private readonly _healthNode: HTMLElement;
  private readonly _noticeNode: HTMLElement;
  private readonly _errorNode: HTMLElement;
  private readonly _refreshButton: HTMLButtonElement;
  private readonly _projects: ProjectsSection;
  private _loading: Promise<void> | null = null;
}
