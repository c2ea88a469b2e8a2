import { type CommandRegistry } from '@lumino/commands';

import {
  type MonitorBreachModel,
  type MonitorCheckModel,
  type MonitorModel,
  type ScaleLabClient
} from '../common/api';
import { CommandIDs } from '../common/commands';
import { badge, el, errorLine, setError } from '../common/dom';
import {
  errorMessage,
  formatRelativeTime,
  formatTimestamp,
  singleLine
} from '../common/helpers';
import { type ItemPage, SelectableProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import {
  breachStateClass,
  breachStateLabel,
  checkFindings,
  driftedLabel,
  lastBreachSummary,
  monitorClass,
  monitorSettings,
  nextCheckLabel,
  reportLink,
  statusClass,
  statusLabel,
  watched
} from './helpers';
import { type MonitorActionError, type MonitorsModel } from './model';

/** The dialogs of the Monitors tab: `null` (`false`) when cancelled. */
export interface MonitorDialogs {
  /** "New monitor…": resolves to the monitor as the service answered. */
  create(slug: string): Promise<MonitorModel | null>;
  /** Ask before deleting. */
  confirmDelete(monitor: MonitorModel): Promise<boolean>;
}

/** Options for {@link MonitorsView}. */
export interface MonitorsViewOptions {
  model: MonitorsModel;
  /** For the default dialogs (a new monitor lists the project's endpoints). */
  client: ScaleLabClient;
  /** A breach's retrain run executes {@link CommandIDs.openRun}, if registered. */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** Default: JupyterLab dialogs. */
  dialogs?: MonitorDialogs;
  /** The current time, for "3 hours ago" and "in 20 min" (tests). */
  now?: () => number;
}

/**
 * The monitors of the current project (a {@link MonitorsModel}): a table of
 * them (endpoint, status, last and next check, last breach); for the
 * selected one, its settings, its checks (rows, drifted columns, drift
 * report) and its breaches with every step of their loop. Deployers check
 * now, pause, resume, delete and create monitors.
 */
export class MonitorsView extends SelectableProjectListView<MonitorsModel> {
  readonly node: HTMLElement;

  constructor(options: MonitorsViewOptions) {
    super(options.model, options.trans);
    const trans = this.trans;
    const client = options.client;
    this._commands = options.commands;
    this._now = options.now ?? Date.now;
    // The dialogs (and JupyterLab's dialog code) load with their first use.
    this._dialogs = options.dialogs ?? {
      create: async slug => (await import('./dialogs')).askCreateMonitor(client, slug, trans),
      confirmDelete: async monitor =>
        (await import('./dialogs')).confirmDeleteMonitor(monitor, trans)
    };

    this._page = this.buildPage({
      testid: 'scalelab-monitors',
      className: 'jp-ScaleLabRuns jp-ScaleLabDeployments jp-ScaleLabMonitors',
      heading: trans.__('Monitors'),
      refreshTitle: trans.__('Reload the monitors'),
      label: trans.__('Monitors'),
      columns: [
        el('th', { text: trans.__('Monitor') }),
        el('th', { text: trans.__('Endpoint') }),
        el('th', { text: trans.__('Status'), title: trans.__("The last check's") }),
        el('th', { text: trans.__('Last check') }),
        el('th', { text: trans.__('Next check') }),
        el('th', { text: trans.__('Last breach') })
      ],
      detailTestid: 'scalelab-monitor-detail',
      create: {
        label: trans.__('New monitor…'),
        title: trans.__("Watch an endpoint's requests for drift"),
        onClick: () => {
          void this._createMonitor();
        }
      }
    });
    this.node = this._page.node;
    this.render();
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    const failed = model.actionError;
    this.renderPage(this._page, {
      empty: model.canDeploy
        ? trans.__('No monitors yet: watch an endpoint with “New monitor…”.')
        : trans.__('No monitors yet: deployers set them on endpoints.'),
      loadError: message => trans.__('Could not load the monitors: %1', singleLine(message)),
      canCreate: model.canDeploy,
      createTitle: trans.__("Watch an endpoint's requests for drift"),
      actionError: failed === null ? null : this._describe(failed),
      rows: model.monitors.map(m => this._row(m))
    });
    this._renderDetail();
  }

  private _describe(failed: MonitorActionError): string {
    const message = singleLine(errorMessage(failed.reason));
    const trans = this.trans;
    switch (failed.action) {
      case 'check':
        return trans.__('Could not check %1: %2', failed.monitor, message);
      case 'pause':
        return trans.__('Could not pause %1: %2', failed.monitor, message);
      case 'resume':
        return trans.__('Could not resume %1: %2', failed.monitor, message);
      default:
        return trans.__('Could not delete %1: %2', failed.monitor, message);
    }
  }

  /** A time cell: relative text, the timestamp as its title; `—` for none. */
  private _when(at: string | null, testid: string): HTMLTableCellElement {
    return el('td', {
      className: 'jp-ScaleLabDeployments-when',
      testid,
      text: at ? formatRelativeTime(at, this._now(), this.trans) : '—',
      title: at ? formatTimestamp(at) : ''
    });
  }

  private _row(monitor: MonitorModel): HTMLTableRowElement {
    const trans = this.trans;
    const breach = monitor.last_breach;
    return this.itemRow(
      monitor.name,
      'scalelab-monitor',
      {
        'data-monitor': monitor.name,
        'data-status': monitor.status,
        'data-paused': String(monitor.paused)
      },
      el('td', {
        className: 'jp-ScaleLabDeployments-name',
        testid: 'scalelab-monitor-name',
        text: monitor.name,
        title: trans.__('Created %1 by %2', formatTimestamp(monitor.created_at), monitor.created_by)
      }),
      el('td', { testid: 'scalelab-monitor-endpoint', text: watched(monitor) }),
      el(
        'td',
        {},
        badge(
          statusLabel(monitor, trans),
          monitorClass(monitor),
          'scalelab-monitor-status',
          monitor.paused ? trans.__('Last check: %1', monitor.status) : undefined
        )
      ),
      this._when(monitor.last_check_at, 'scalelab-monitor-last-check'),
      el('td', {
        className: 'jp-ScaleLabDeployments-when',
        testid: 'scalelab-monitor-next-check',
        text: nextCheckLabel(monitor, this._now(), trans),
        title: monitor.next_check_at ? formatTimestamp(monitor.next_check_at) : ''
      }),
      el('td', {
        className: 'jp-ScaleLabMonitors-breach',
        testid: 'scalelab-monitor-last-breach',
        text: lastBreachSummary(breach, trans),
        title: breach
          ? trans.__('Opened %1: %2', formatTimestamp(breach.opened_at), breach.reason)
          : ''
      })
    );
  }

  /** The selected monitor: its actions, settings, checks and breaches. */
  private _renderDetail(): void {
    const model = this.model;
    const trans = this.trans;
    const monitor = model.selectedMonitor;
    this._page.detail.hidden = monitor === null;
    if (monitor === null) {
      this._page.detail.replaceChildren();
      return;
    }
    this._page.detail.dataset.monitor = monitor.name;
    const heading = el(
      'div',
      { className: 'jp-ScaleLabRuns-runTop' },
      el('h5', {
        className: 'jp-ScaleLabPanel-subheading jp-ScaleLabDeployments-title',
        text: trans.__('Monitor %1 on %2', monitor.name, monitor.endpoint)
      }),
      badge(statusLabel(monitor, trans), monitorClass(monitor), 'scalelab-monitor-detail-status')
    );
    const meta = el('div', {
      className: 'jp-ScaleLabRuns-runMeta',
      testid: 'scalelab-monitor-meta',
      text: monitorSettings(monitor, trans)
    });
    const history = model.history;
    const error = errorLine('scalelab-monitor-history-error');
    const loadError = model.historyError;
    setError(
      error,
      loadError === null
        ? null
        : trans.__('Could not load the checks: %1', singleLine(errorMessage(loadError)))
    );
    const body: HTMLElement[] = [];
    if (history === null) {
      if (loadError === null) {
        body.push(el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('Loading…') }));
      }
    } else {
      body.push(this._checks(history.checks), this._breaches(history.breaches));
    }
    this._page.detail.replaceChildren(
      heading,
      ...(model.canDeploy ? [this._actions(monitor)] : []),
      meta,
      error,
      ...body
    );
  }

  /** The deployer's buttons for `monitor`; those that make no sense now are disabled. */
  private _actions(monitor: MonitorModel): HTMLElement {
    const model = this.model;
    const trans = this.trans;
    const archived = model.project?.archived === true;
    return this.itemActions(monitor.name, 'scalelab-monitor-actions', [
      {
        label: trans.__('Check now'),
        testid: 'scalelab-monitor-check',
        // The service refuses to check a paused monitor.
        enabled: !monitor.paused && !archived,
        title: monitor.paused
          ? trans.__('Resume the monitor first')
          : trans.__('Check now, whatever the schedule says'),
        run: () => model.checkNow(monitor.name)
      },
      monitor.paused
        ? {
            label: trans.__('Resume'),
            testid: 'scalelab-monitor-resume',
            enabled: !archived,
            title: trans.__('Check on schedule again'),
            run: () => model.setPaused(monitor.name, false)
          }
        : {
            label: trans.__('Pause'),
            testid: 'scalelab-monitor-pause',
            enabled: !archived,
            title: trans.__('Stop checking until resumed'),
            run: () => model.setPaused(monitor.name, true)
          },
      {
        label: trans.__('Delete'),
        testid: 'scalelab-monitor-delete',
        enabled: true,
        title: trans.__('Delete the monitor with its checks and breaches'),
        run: () => this._delete(monitor),
        warn: true
      }
    ]);
  }

  private _checks(checks: readonly MonitorCheckModel[]): HTMLElement {
    const trans = this.trans;
    const heading = el('h5', {
      className: 'jp-ScaleLabPanel-subheading',
      text: trans.__('Checks')
    });
    if (checks.length === 0) {
      return el(
        'div',
        {},
        heading,
        el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('No check yet.') })
      );
    }
    return el(
      'div',
      {},
      heading,
      el(
        'table',
        {
          className: 'jp-ScaleLabModels-versions jp-ScaleLabDeployments-history',
          testid: 'scalelab-monitor-checks',
          attrs: { 'aria-label': trans.__('Checks') }
        },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { text: trans.__('When') }),
            el('th', { text: trans.__('Status') }),
            el('th', { className: 'jp-mod-number', text: trans.__('Rows') }),
            el('th', { text: trans.__('Drifted') }),
            el('th', { text: trans.__('Details') }),
            el('th', { text: trans.__('Report') })
          )
        ),
        el('tbody', {}, ...checks.map(c => this._check(c)))
      )
    );
  }

  private _check(check: MonitorCheckModel): HTMLTableRowElement {
    const trans = this.trans;
    const found = checkFindings(check);
    const details = [
      check.message,
      found.score,
      found.issues.length ? trans.__('issues: %1', found.issues.join(', ')) : null
    ].filter((part): part is string => !!part);
    const url = reportLink(check);
    const report = url
      ? el('a', {
          className: 'jp-ScaleLabSchedules-runLink',
          testid: 'scalelab-monitor-check-report',
          text: trans.__('report'),
          title: trans.__('The drift report of this check, in a new browser tab'),
          // A page of its own: no access back to this lab's window.
          attrs: { href: url, target: '_blank', rel: 'noopener noreferrer' }
        })
      : el('span', { className: 'jp-ScaleLabPanel-muted', text: '—' });
    return el(
      'tr',
      {
        testid: 'scalelab-monitor-check',
        attrs: { 'data-check-id': String(check.id), 'data-status': check.status }
      },
      el('td', {
        className: 'jp-ScaleLabDeployments-when',
        text: formatRelativeTime(check.started_at, this._now(), trans),
        title: formatTimestamp(check.started_at)
      }),
      el('td', {}, badge(check.status, statusClass(check.status), 'scalelab-monitor-check-status')),
      el('td', {
        className: 'jp-mod-number',
        testid: 'scalelab-monitor-check-rows',
        text: found.rows === null ? '—' : String(found.rows)
      }),
      el('td', {
        testid: 'scalelab-monitor-check-drifted',
        text: found.rows === null ? '—' : driftedLabel(found, trans)
      }),
      el('td', { className: 'jp-ScaleLabDeployments-message', text: details.join(' · ') }),
      el('td', {}, report)
    );
  }

  private _breaches(breaches: readonly MonitorBreachModel[]): HTMLElement {
    const trans = this.trans;
    return el(
      'div',
      { testid: 'scalelab-monitor-breaches' },
      el('h5', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Breaches') }),
      ...(breaches.length
        ? breaches.map(b => this._breach(b))
        : [el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('No breach yet.') })])
    );
  }

  /** A breach: what opened it, where its loop is, what it decided, then every step. */
  private _breach(breach: MonitorBreachModel): HTMLElement {
    const trans = this.trans;
    const top = el(
      'div',
      { className: 'jp-ScaleLabRuns-runTop' },
      el('span', {
        className: 'jp-ScaleLabDeployments-when',
        text: formatRelativeTime(breach.opened_at, this._now(), trans),
        title: formatTimestamp(breach.opened_at)
      }),
      badge(
        breachStateLabel(breach.state, trans),
        breachStateClass(breach.state),
        'scalelab-monitor-breach-state'
      ),
      el('span', { className: 'jp-ScaleLabDeployments-message', text: breach.reason })
    );
    const facts: (Node | string)[][] = [];
    if (breach.retrain_run_id) {
      facts.push([trans.__('retrain run '), this._runLink(breach.retrain_run_id)]);
    }
    if (breach.model_version) {
      facts.push([trans.__('model version %1', breach.model_version)]);
    }
    if (breach.decision) {
      facts.push([trans.__('decision: %1', breach.decision)]);
    }
    const steps = el(
      'table',
      {
        className: 'jp-ScaleLabModels-versions jp-ScaleLabMonitors-steps',
        testid: 'scalelab-monitor-breach-steps',
        attrs: { 'aria-label': trans.__('Steps of breach %1', breach.id) }
      },
      el(
        'tbody',
        {},
        ...breach.steps.map(step =>
          el(
            'tr',
            { testid: 'scalelab-monitor-breach-step', attrs: { 'data-state': step.state } },
            el('td', {
              className: 'jp-ScaleLabDeployments-when',
              text: formatTimestamp(step.at),
              title: formatRelativeTime(step.at, this._now(), trans)
            }),
            el(
              'td',
              {},
              el('span', { className: 'jp-ScaleLabDeployments-kind', text: step.state })
            ),
            el('td', { className: 'jp-ScaleLabDeployments-message', text: step.message })
          )
        )
      )
    );
    return el(
      'div',
      {
        className: 'jp-ScaleLabMonitors-breachItem',
        testid: 'scalelab-monitor-breach',
        attrs: { 'data-breach-id': String(breach.id), 'data-state': breach.state }
      },
      top,
      ...(facts.length
        ? [
            el(
              'div',
              { className: 'jp-ScaleLabRuns-runMeta', testid: 'scalelab-monitor-breach-facts' },
              ...facts.flatMap((fact, i) => (i ? [' · ', ...fact] : fact))
            )
          ]
        : []),
      steps
    );
  }

  /** A retrain run: shows it in the Runs tab, if that can be done (as the models view does). */
  private _runLink(runId: string): HTMLElement {
    const slug = this.model.slug;
    if (slug === null || !this._commands.hasCommand(CommandIDs.openRun)) {
      return el('span', { testid: 'scalelab-monitor-breach-run', text: runId });
    }
    const link = el('a', {
      className: 'jp-ScaleLabSchedules-runLink',
      testid: 'scalelab-monitor-breach-run',
      text: runId,
      title: this.trans.__('Show run %1 in the Runs tab', runId),
      attrs: { href: '#', role: 'button' }
    });
    link.addEventListener('click', event => {
      event.preventDefault();
      void this._commands.execute(CommandIDs.openRun, { project: slug, run: runId });
    });
    return link;
  }

  private async _delete(monitor: MonitorModel): Promise<void> {
    let ok: boolean;
    try {
      ok = await this._dialogs.confirmDelete(monitor);
    } catch {
      ok = false;
    }
    if (ok) {
      await this.model.remove(monitor.name);
    }
  }

  private async _createMonitor(): Promise<void> {
    const slug = this.model.slug;
    if (slug === null) {
      return;
    }
    let saved: MonitorModel | null;
    try {
      saved = await this._dialogs.create(slug);
    } catch (err) {
      // E.g. the endpoints could not be listed: say so where actions fail.
      setError(
        this._page.actionError,
        this.trans.__('Could not create a monitor: %1', singleLine(errorMessage(err)))
      );
      return;
    }
    if (saved && this.model.slug === slug) {
      this.model.replace(saved);
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _dialogs: MonitorDialogs;
  private readonly _now: () => number;
  private readonly _page: ItemPage;
}
