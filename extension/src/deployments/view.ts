import { type CommandRegistry } from '@lumino/commands';

import {
  type DeploymentEventModel,
  type EndpointModel,
  type ReplicaModel,
  type ScaleLabClient
} from '../common/api';
import { CommandIDs } from '../common/commands';
import { badge, button, classes, el, errorLine, setError } from '../common/dom';
import {
  errorMessage,
  formatRelativeTime,
  formatTimestamp,
  singleLine
} from '../common/helpers';
import { endpointUrl } from '../common/links';
import { type ItemPage, SelectableProjectListView } from '../common/listview';
import { type TranslationBundle } from '../common/trans';
import {
  curlExample,
  endpointActions,
  formatErrorRate,
  formatMs,
  formatRate,
  formatTraffic,
  pythonExample,
  replicaCounts,
  stateClass,
  trafficSplit,
  versionLabel
} from './helpers';
import { type DeploymentActionError, type DeploymentsModel } from './model';

/**
 * The dialogs of the Deployments tab: each resolves to the endpoint as the
 * service answered (or `true` to go on), or `null` (`false`) when cancelled.
 */
export interface DeploymentDialogs {
  /** "Deploy version…": a model URI and a canary share, sent blue-green. */
  deployVersion(slug: string, endpoint: EndpointModel): Promise<EndpointModel | null>;
  /** "Scale…": the fewest and most replicas. */
  scale(slug: string, endpoint: EndpointModel): Promise<EndpointModel | null>;
  /** Ask before rolling back or removing. */
  confirm(action: 'rollback' | 'remove', endpoint: EndpointModel): Promise<boolean>;
}

/** Options for {@link DeploymentsView}. */
export interface DeploymentsViewOptions {
  model: DeploymentsModel;
  /** For the default dialogs (deploy a version, scale). */
  client: ScaleLabClient;
  /** "New endpoint…" executes {@link CommandIDs.deployModel}, if registered. */
  commands: CommandRegistry;
  trans?: TranslationBundle;
  /** Default: JupyterLab dialogs. */
  dialogs?: DeploymentDialogs;
  /** Where a browser reaches endpoint `name` of `slug`; default: next to this page's hub. */
  endpointUrl?: (slug: string, name: string) => string;
  /** Copy an example to the clipboard; default: JupyterLab's clipboard. */
  copy?: (text: string) => void | Promise<void>;
  /** The current time, for "3 hours ago" (tests). */
  now?: () => number;
}

/** This page's origin, if there is a page (not in tests). */
function pageOrigin(): string {
  return typeof location === 'undefined' ? '' : location.origin;
}

/**
 * The model endpoints of the current project (a {@link DeploymentsModel}):
 * a table of them (state, live version per colour, traffic split, replicas
 * ready, requests a second, p50/p99 latency, error rate); for the selected
 * one, how to call it (its URL, curl and Python) and its history.
 * Deployers deploy a version blue-green, promote it, roll back, scale and
 * remove endpoints, and create new ones.
 */
export class DeploymentsView extends SelectableProjectListView<DeploymentsModel> {
  readonly node: HTMLElement;

  constructor(options: DeploymentsViewOptions) {
    super(options.model, options.trans);
    const trans = this.trans;
    const client = options.client;
    this._commands = options.commands;
    this._now = options.now ?? Date.now;
    this._endpointUrl =
      options.endpointUrl ?? ((slug, name) => endpointUrl(slug, name, {}, pageOrigin()));
    this._copy =
      options.copy ??
      (async text => {
        const { Clipboard } = await import('@jupyterlab/apputils');
        Clipboard.copyToSystem(text);
      });
    // The dialogs (and JupyterLab's dialog code) load with their first use.
    this._dialogs = options.dialogs ?? {
      deployVersion: async (slug, endpoint) =>
        (await import('./dialogs')).askDeployVersion(client, slug, endpoint, trans),
      scale: async (slug, endpoint) =>
        (await import('./dialogs')).askScale(client, slug, endpoint, trans),
      confirm: async (action, endpoint) =>
        (await import('./dialogs')).confirmEndpointAction(action, endpoint, trans)
    };

    this._page = this.buildPage({
      testid: 'scalelab-deployments',
      className: 'jp-ScaleLabRuns jp-ScaleLabDeployments',
      heading: trans.__('Deployments'),
      refreshTitle: trans.__('Reload the endpoints'),
      label: trans.__('Endpoints'),
      columns: [
        el('th', { text: trans.__('Endpoint') }),
        el('th', { text: trans.__('State') }),
        el('th', { text: trans.__('Blue'), title: trans.__('The live version') }),
        el('th', {
          text: trans.__('Green'),
          title: trans.__('A new version taking traffic while it bakes')
        }),
        el('th', { text: trans.__('Traffic') }),
        el('th', {
          className: 'jp-mod-number',
          text: trans.__('Replicas'),
          title: trans.__('Ready / running')
        }),
        el('th', { className: 'jp-mod-number', text: trans.__('Requests/s') }),
        el('th', { className: 'jp-mod-number', text: trans.__('p50') }),
        el('th', { className: 'jp-mod-number', text: trans.__('p99') }),
        el('th', { className: 'jp-mod-number', text: trans.__('Errors') })
      ],
      detailTestid: 'scalelab-endpoint-detail',
      create: {
        label: trans.__('New endpoint…'),
        title: trans.__('Serve a registered model behind a new endpoint'),
        onClick: () => {
          const slug = this.model.slug;
          if (slug !== null) {
            void this._commands.execute(CommandIDs.deployModel, { project: slug });
          }
        }
      }
    });
    this.node = this._page.node;
    this._callHost = el('div', { className: 'jp-ScaleLabDeployments-call' });
    this._history = el('div', { className: 'jp-ScaleLabDeployments-historyHost' });
    this.render();
  }

  protected render(): void {
    const model = this.model;
    const trans = this.trans;
    const failed = model.actionError;
    this.renderPage(this._page, {
      empty: model.canDeploy
        ? trans.__('No endpoints yet: serve a registered model with “New endpoint…”.')
        : trans.__('No endpoints yet: deployers serve registered models here.'),
      loadError: message => trans.__('Could not load the endpoints: %1', singleLine(message)),
      canCreate: model.canDeploy && this._commands.hasCommand(CommandIDs.deployModel),
      createTitle: trans.__('Serve a registered model behind a new endpoint'),
      actionError: failed === null ? null : this._describe(failed),
      rows: model.endpoints.map(e => this._row(e))
    });
    this._renderDetail();
  }

  private _describe(failed: DeploymentActionError): string {
    const message = singleLine(errorMessage(failed.reason));
    switch (failed.action) {
      case 'promote':
        return this.trans.__(
          'Could not promote the new version of %1: %2',
          failed.endpoint,
          message
        );
      case 'rollback':
        return this.trans.__('Could not roll back %1: %2', failed.endpoint, message);
      default:
        return this.trans.__('Could not remove %1: %2', failed.endpoint, message);
    }
  }

  private _row(endpoint: EndpointModel): HTMLTableRowElement {
    const trans = this.trans;
    const { ready, total } = replicaCounts(endpoint);
    const split = trafficSplit(endpoint);
    const stats = endpoint.stats;
    const version = (which: 'blue' | 'green') =>
      el('td', {
        className: `jp-ScaleLabDeployments-version jp-mod-${which}`,
        testid: `scalelab-endpoint-${which}`,
        text: versionLabel(endpoint[which]),
        title: endpoint[which]?.uri ?? ''
      });
    const number = (testid: string, text: string, title = '') =>
      el('td', { className: 'jp-mod-number', testid, text, title });

    return this.itemRow(
      endpoint.name,
      'scalelab-endpoint',
      { 'data-endpoint': endpoint.name, 'data-state': endpoint.state },
      el('td', {
        className: 'jp-ScaleLabDeployments-name',
        testid: 'scalelab-endpoint-name',
        text: endpoint.name,
        title: endpoint.created_by
          ? trans.__('Created %1 by %2', formatTimestamp(endpoint.created_at), endpoint.created_by)
          : trans.__('Created %1', formatTimestamp(endpoint.created_at))
      }),
      el('td', {}, badge(endpoint.state, stateClass(endpoint.state), 'scalelab-endpoint-state')),
      version('blue'),
      version('green'),
      el(
        'td',
        { testid: 'scalelab-endpoint-traffic', title: formatTraffic(endpoint, trans) },
        el(
          'span',
          {
            className: 'jp-ScaleLabDeployments-split',
            attrs: { 'aria-hidden': 'true' }
          },
          el('span', {
            className: 'jp-ScaleLabDeployments-splitBlue',
            attrs: { style: `width: ${split.blue}%` }
          }),
          el('span', {
            className: 'jp-ScaleLabDeployments-splitGreen',
            attrs: { style: `width: ${split.green}%` }
          })
        ),
        el('span', { text: formatTraffic(endpoint, trans) })
      ),
      number(
        'scalelab-endpoint-replicas',
        `${ready}/${total}`,
        trans.__(
          '%1 ready of %2 running; between %3 and %4',
          ready,
          total,
          endpoint.min_replicas,
          endpoint.max_replicas
        )
      ),
      number(
        'scalelab-endpoint-rps',
        formatRate(stats.requests_per_second),
        trans._n('%1 request in flight', '%1 requests in flight', stats.in_flight)
      ),
      number('scalelab-endpoint-p50', formatMs(stats.p50_ms)),
      number('scalelab-endpoint-p99', formatMs(stats.p99_ms)),
      number('scalelab-endpoint-errors', formatErrorRate(stats.error_rate))
    );
  }

  /** The selected endpoint: its actions, replicas, how to call it, its history. */
  private _renderDetail(): void {
    const model = this.model;
    const trans = this.trans;
    const endpoint = model.selectedEndpoint;
    const slug = model.slug;
    this._page.detail.hidden = endpoint === null || slug === null;
    if (endpoint === null || slug === null) {
      this._page.detail.replaceChildren();
      this._callUrl = null;
      return;
    }
    this._page.detail.dataset.endpoint = endpoint.name;
    const heading = el(
      'div',
      { className: 'jp-ScaleLabRuns-runTop' },
      el('h5', {
        className: 'jp-ScaleLabPanel-subheading jp-ScaleLabDeployments-title',
        text: trans.__('Endpoint %1', endpoint.name)
      }),
      badge(endpoint.state, stateClass(endpoint.state), 'scalelab-endpoint-detail-state')
    );
    const { ready, total } = replicaCounts(endpoint);
    const meta = el('div', {
      className: 'jp-ScaleLabRuns-runMeta',
      testid: 'scalelab-endpoint-meta',
      text:
        trans.__(
          '%1 of %2 replicas ready (between %3 and %4)',
          ready,
          total,
          endpoint.min_replicas,
          endpoint.max_replicas
        ) +
        ' · ' +
        trans.__('request log: %1%', Math.round(endpoint.request_log_rate * 100)) +
        (endpoint.previous
          ? ' · ' + trans.__('before: %1', versionLabel(endpoint.previous))
          : '') +
        ' · ' +
        trans.__('updated %1', formatRelativeTime(endpoint.updated_at, this._now(), trans)),
      title: trans.__('Updated %1', formatTimestamp(endpoint.updated_at))
    });

    const url = this._endpointUrl(slug, endpoint.name);
    if (url !== this._callUrl) {
      // Only when it changes: a poll must not undo a selection in the examples.
      this._callUrl = url;
      this._callHost.replaceChildren(...this._call(url));
    }
    this._page.detail.replaceChildren(
      heading,
      ...(model.canDeploy ? [this._actions(endpoint)] : []),
      meta,
      this._replicas(endpoint.replicas),
      this._callHost,
      this._renderHistory(endpoint)
    );
  }

  /** The deployer's buttons for `endpoint`; those that make no sense now are disabled. */
  private _actions(endpoint: EndpointModel): HTMLElement {
    const model = this.model;
    const trans = this.trans;
    const archived = model.project?.archived === true;
    const can = endpointActions(endpoint);
    return this.itemActions(endpoint.name, 'scalelab-endpoint-actions', [
      {
        label: trans.__('Deploy version…'),
        testid: 'scalelab-endpoint-deploy-version',
        enabled: can.deploy && !archived,
        title: archived
          ? trans.__('The project is archived')
          : can.deploy
            ? trans.__('Deploy another version blue-green (a canary share first, if you like)')
            : trans.__('A version is under way: promote it or roll back first'),
        run: () => this._deployVersion(endpoint)
      },
      {
        label: trans.__('Promote'),
        testid: 'scalelab-endpoint-promote',
        enabled: can.promote,
        title: can.promote
          ? trans.__('Send all traffic to %1 now, ending its bake', versionLabel(endpoint.green))
          : trans.__('No new version to promote'),
        run: () => model.promote(endpoint.name)
      },
      {
        label: trans.__('Roll back'),
        testid: 'scalelab-endpoint-rollback',
        enabled: can.rollback,
        title: can.rollback
          ? trans.__('Back to the version before')
          : trans.__('No earlier version to go back to'),
        run: () => this._confirmThen('rollback', endpoint, () => model.rollback(endpoint.name))
      },
      {
        label: trans.__('Scale…'),
        testid: 'scalelab-endpoint-scale',
        enabled: true,
        title: trans.__('Change the fewest and most replicas'),
        run: () => this._scale(endpoint)
      },
      {
        label: trans.__('Remove'),
        testid: 'scalelab-endpoint-remove',
        enabled: true,
        title: trans.__('Stop the endpoint and remove it'),
        run: () => this._confirmThen('remove', endpoint, () => model.remove(endpoint.name)),
        warn: true
      }
    ]);
  }

  private _replicas(replicas: readonly ReplicaModel[]): HTMLElement {
    const trans = this.trans;
    const list = el('ul', {
      className: 'jp-ScaleLabDeployments-replicas',
      testid: 'scalelab-endpoint-replica-list',
      attrs: { 'aria-label': trans.__('Replicas') }
    });
    for (const replica of replicas) {
      list.append(
        el(
          'li',
          {
            className: classes(`jp-ScaleLabDeployments-replica jp-mod-${replica.colour}`, {
              'jp-mod-ready': replica.ready
            }),
            testid: 'scalelab-endpoint-replica',
            attrs: {
              'data-replica': replica.id,
              'data-colour': replica.colour,
              'data-ready': String(replica.ready)
            }
          },
          el('span', { className: 'jp-ScaleLabDeployments-dot', attrs: { 'aria-hidden': 'true' } }),
          el('span', {
            text: trans.__(
              '%1 · %2 · %3 · %4 served, %5 in flight',
              replica.colour,
              replica.version,
              replica.ready ? trans.__('ready') : trans.__('not ready'),
              replica.served,
              replica.in_flight
            ),
            title: trans.__('Replica %1', replica.id)
          })
        )
      );
    }
    if (replicas.length === 0) {
      list.append(
        el('li', { className: 'jp-ScaleLabPanel-muted', text: trans.__('No replica running.') })
      );
    }
    return list;
  }

  /** How to call the endpoint: its URL, then curl and Python, each with a Copy button. */
  private _call(url: string): HTMLElement[] {
    const trans = this.trans;
    const example = (title: string, code: string, testid: string): HTMLElement => {
      const copy = button(
        trans.__('Copy'),
        () => {
          void Promise.resolve(this._copy(code)).then(() => {
            copy.textContent = trans.__('Copied');
            setTimeout(() => {
              copy.textContent = trans.__('Copy');
            }, 1500);
          });
        },
        {
          testid: `${testid}-copy`,
          title: trans.__('Copy the %1 example', title),
          className: 'jp-ScaleLabDeployments-copy'
        }
      );
      return el(
        'div',
        { className: 'jp-ScaleLabDeployments-example' },
        el(
          'div',
          { className: 'jp-ScaleLabRuns-runTop' },
          el('span', { className: 'jp-ScaleLabDeployments-exampleTitle', text: title }),
          copy
        ),
        el('pre', { className: 'jp-ScaleLabDeployments-code', testid, text: code })
      );
    };
    return [
      el('h5', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Call it') }),
      el(
        'div',
        { className: 'jp-ScaleLabRuns-runMeta' },
        trans.__('POST rows in MLflow’s scoring format to '),
        el('code', { testid: 'scalelab-endpoint-url', text: url })
      ),
      el('div', {
        className: 'jp-ScaleLabRuns-runMeta',
        text: trans.__(
          'Authorization: an endpoint key (Bearer slkey_…, from a deployer) or a hub token ' +
            '(token …; in this lab’s terminals and notebooks, $JUPYTERHUB_API_TOKEN). ' +
            'Use your model’s columns.'
        )
      }),
      el(
        'div',
        { className: 'jp-ScaleLabDeployments-examples' },
        example('curl', curlExample(url), 'scalelab-endpoint-curl'),
        example('Python', pythonExample(url), 'scalelab-endpoint-python')
      )
    ];
  }

  private _renderHistory(endpoint: EndpointModel): HTMLElement {
    const model = this.model;
    const trans = this.trans;
    const error = errorLine('scalelab-endpoint-history-error');
    const loadError = model.eventsError;
    setError(
      error,
      loadError === null
        ? null
        : trans.__('Could not load the history: %1', singleLine(errorMessage(loadError)))
    );
    const events = model.events;
    const body: HTMLElement[] = [];
    if (events === null) {
      if (loadError === null) {
        body.push(el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('Loading…') }));
      }
    } else if (events.length === 0) {
      body.push(el('div', { className: 'jp-ScaleLabPanel-muted', text: trans.__('Nothing yet.') }));
    } else {
      body.push(
        el(
          'table',
          {
            className: 'jp-ScaleLabModels-versions jp-ScaleLabDeployments-history',
            testid: 'scalelab-endpoint-history',
            attrs: { 'aria-label': trans.__('History of %1', endpoint.name) }
          },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { text: trans.__('When') }),
              el('th', { text: trans.__('What') }),
              el('th', { text: trans.__('Who') }),
              el('th', { text: trans.__('Version') }),
              el('th', { text: trans.__('Details') })
            )
          ),
          el('tbody', {}, ...events.map(e => this._event(e)))
        )
      );
    }
    this._history.replaceChildren(
      el('h5', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('History') }),
      error,
      ...body
    );
    return this._history;
  }

  private _event(event: DeploymentEventModel): HTMLTableRowElement {
    return el(
      'tr',
      {
        testid: 'scalelab-endpoint-event',
        attrs: { 'data-kind': event.kind, 'data-event-id': String(event.id) }
      },
      el('td', {
        className: 'jp-ScaleLabDeployments-when',
        text: formatRelativeTime(event.at, this._now(), this.trans),
        title: formatTimestamp(event.at)
      }),
      el('td', {}, el('span', { className: 'jp-ScaleLabDeployments-kind', text: event.kind })),
      el('td', { text: event.actor }),
      el('td', { className: 'jp-ScaleLabModels-version', text: event.version ?? '—' }),
      el('td', { className: 'jp-ScaleLabDeployments-message', text: event.message })
    );
  }

  private async _confirmThen(
    action: 'rollback' | 'remove',
    endpoint: EndpointModel,
    run: () => Promise<boolean>
  ): Promise<void> {
    let ok: boolean;
    try {
      ok = await this._dialogs.confirm(action, endpoint);
    } catch {
      ok = false;
    }
    if (ok) {
      await run();
    }
  }

  private async _deployVersion(endpoint: EndpointModel): Promise<void> {
    await this._openDialog(slug => this._dialogs.deployVersion(slug, endpoint));
  }

  private async _scale(endpoint: EndpointModel): Promise<void> {
    await this._openDialog(slug => this._dialogs.scale(slug, endpoint));
  }

  /** Show a dialog that changes an endpoint; show the endpoint as it answered. */
  private async _openDialog(
    open: (slug: string) => Promise<EndpointModel | null>
  ): Promise<void> {
    const slug = this.model.slug;
    if (slug === null) {
      return;
    }
    let saved: EndpointModel | null;
    try {
      saved = await open(slug);
    } catch {
      saved = null;
    }
    if (saved && this.model.slug === slug) {
      this.model.replace(saved);
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _dialogs: DeploymentDialogs;
  private readonly _endpointUrl: (slug: string, name: string) => string;
  private readonly _copy: (text: string) => void | Promise<void>;
  private readonly _now: () => number;
  private readonly _page: ItemPage;
  private readonly _callHost: HTMLElement;
  private readonly _history: HTMLElement;
  private _callUrl: string | null = null;
}
