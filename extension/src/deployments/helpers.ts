/**
 * Pure helpers for the endpoints of a project: orders, what a row shows
 * (versions, traffic split, replicas, stats), which actions make sense,
 * the forms (new endpoint, deploy a version, scale) and the examples of a call.
 *
 * No DOM and no JupyterLab imports, so vitest can test them in plain Node.
 */

import {
  type DeployedVersion,
  type DeploymentCreate,
  type DeploymentEventModel,
  type DeploymentUpdate,
  type EndpointModel,
  type VersionDeploy
} from '../common/api';
import { plainTrans, type TranslationBundle } from '../common/trans';

export { canDeploy } from '../models/helpers';

/** An endpoint's name, as the service takes it (in its URL). */
export const ENDPOINT_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** What a model URI may look like (the service checks it further). */
export const MODEL_URI = /^(models:\/[^/\s@]+(\/[0-9]+|@[^/\s]+)|runs:\/[^/\s]+\/\S+)$/;

/** Endpoints by name (returns a copy). */
export function sortEndpoints(endpoints: readonly EndpointModel[]): EndpointModel[] {
  return [...endpoints].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Replace the endpoint with the same name, or add it (by name). */
export function upsertEndpoint(
  endpoints: readonly EndpointModel[],
  endpoint: EndpointModel
): EndpointModel[] {
  return sortEndpoints([...endpoints.filter(e => e.name !== endpoint.name), endpoint]);
}

/** Newest first: by time, then by id (returns a copy). */
export function sortEvents(events: readonly DeploymentEventModel[]): DeploymentEventModel[] {
  const time = (e: DeploymentEventModel): number => {
    const t = Date.parse(e.at);
    return Number.isNaN(t) ? 0 : t;
  };
  return [...events].sort((a, b) => time(b) - time(a) || b.id - a.id);
}

/** A deployed version as the service labels it: `name/version`, else its URI; `—` for none. */
export function versionLabel(version: DeployedVersion | null | undefined): string {
  if (!version) {
    return '—';
  }
  return version.name && version.version ? `${version.name}/${version.version}` : version.uri;
}

/** The modifier class of an endpoint's state badge (as the runs' status badges). */
export function stateClass(state: string): string {
  switch (state) {
    case 'live':
      return 'jp-mod-succeeded';
    case 'baking':
    case 'deploying':
      return 'jp-mod-running';
    case 'starting':
      return 'jp-mod-queued';
    case 'failed':
      return 'jp-mod-failed';
    default:
      return 'jp-mod-skipped';
  }
}

/** The share of traffic each colour gets, in percent: all blue unless a green takes some. */
export function trafficSplit(endpoint: Pick<EndpointModel, 'green' | 'green_share'>): {
  blue: number;
  green: number;
} {
  if (endpoint.green === null) {
    return { blue: 100, green: 0 };
  }
  const green = Math.min(100, Math.max(0, Math.round(endpoint.green_share)));
  return { blue: 100 - green, green };
}

/** `100% blue`, or `90% blue · 10% green` while a green version takes traffic. */
export function formatTraffic(
  endpoint: Pick<EndpointModel, 'green' | 'green_share'>,
  trans: TranslationBundle = plainTrans
): string {
  const { blue, green } = trafficSplit(endpoint);
  if (endpoint.green === null) {
    return trans.__('%1% blue', blue);
  }
  return trans.__('%1% blue · %2% green', blue, green);
}

/** The replicas that are ready, and all of them. */
export function replicaCounts(endpoint: Pick<EndpointModel, 'replicas'>): {
  ready: number;
  total: number;
} {
  return {
    ready: endpoint.replicas.filter(r => r.ready).length,
    total: endpoint.replicas.length
  };
}

/** `1.5` requests a second: one decimal under 100, whole numbers above. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) {
    return '—';
  }
  return perSecond < 100 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** `12 ms`, `3.4 ms` under 10; `—` when nothing was measured. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '—';
  }
  return `${ms < 10 ? ms.toFixed(1) : String(Math.round(ms))} ms`;
}

/** An error rate (0..1) in percent: `0%`, `2.5%`; `—` when nothing was measured. */
export function formatErrorRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) {
    return '—';
  }
  const percent = rate * 100;
  if (percent === 0) {
    return '0%';
  }
  return `${percent < 10 ? percent.toFixed(1) : String(Math.round(percent))}%`;
}

/** Which actions make sense for an endpoint now (the service refuses the others). */
export interface EndpointActions {
  /** Another version can be deployed: none is under way. */
  deploy: boolean;
  /** A new (green) version takes traffic: it can take all of it now. */
  promote: boolean;
  /** A green version can be dropped, or the version before comes back. */
  rollback: boolean;
}

/** The actions of {@link EndpointActions} that make sense for `endpoint`. */
export function endpointActions(
  endpoint: Pick<EndpointModel, 'state' | 'green' | 'previous'>
): EndpointActions {
  return {
    // A first version that failed can be followed by another one.
    deploy: endpoint.green === null && endpoint.state !== 'starting',
    promote: endpoint.green !== null,
    rollback: endpoint.green !== null || endpoint.previous !== null
  };
}

/** A model URI for the next version: the live version's model, at the next number. */
export function suggestModelUri(endpoint: Pick<EndpointModel, 'blue' | 'green'>): string {
  const live = endpoint.green ?? endpoint.blue;
  if (live?.name && live.version && /^[0-9]+$/.test(live.version)) {
    return `models:/${live.name}/${Number(live.version) + 1}`;
  }
  return live?.name ? `models:/${live.name}/` : 'models:/';
}

/** A whole number typed in a form, or `null`. */
function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^[0-9]+$/.test(trimmed) ? Number(trimmed) : null;
}

/** A model URI typed in a form, or why it cannot be sent. */
function readModelUri(text: string, trans: TranslationBundle): string | { error: string } {
  const uri = text.trim();
  if (!uri) {
    return { error: trans.__('Enter the model to serve, e.g. models:/churn/3.') };
  }
  if (!MODEL_URI.test(uri)) {
    return {
      error: trans.__(
        'A model is models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH.'
      )
    };
  }
  return uri;
}

/** Replica bounds typed in a form, or why they cannot be sent. */
function readReplicas(
  minText: string,
  maxText: string,
  trans: TranslationBundle
): { min: number; max: number } | { error: string } {
  const min = wholeNumber(minText);
  const max = wholeNumber(maxText);
  if (min === null || min < 1) {
    return { error: trans.__('The fewest replicas is a whole number, 1 or more.') };
  }
  if (max === null || max < 1) {
    return { error: trans.__('The most replicas is a whole number, 1 or more.') };
  }
  if (min > max) {
    return { error: trans.__('The fewest replicas may not exceed the most.') };
  }
  return { min, max };
}

/** The "New endpoint" form as typed. */
export interface CreateFormRaw {
  name: string;
  modelUri: string;
  minReplicas: string;
  maxReplicas: string;
  /** Percent of requests written to the request log. */
  logPercent: string;
}

/** The "New endpoint" form's first values. */
export function newCreateRaw(name = '', modelUri = ''): CreateFormRaw {
  return { name, modelUri, minReplicas: '1', maxReplicas: '1', logPercent: '0' };
}

/** The body of `POST api/projects/{slug}/deployments`, or why the form cannot be sent. */
export function readCreateForm(
  raw: CreateFormRaw,
  trans: TranslationBundle = plainTrans
): { value: DeploymentCreate | null; error: string | null } {
  const name = raw.name.trim();
  if (!ENDPOINT_NAME.test(name)) {
    return {
      value: null,
      error: trans.__(
        'The name: lowercase letters, digits and dashes (at most 40), ' +
          'starting with a letter or digit.'
      )
    };
  }
  const uri = readModelUri(raw.modelUri, trans);
  if (typeof uri !== 'string') {
    return { value: null, error: uri.error };
  }
  const replicas = readReplicas(raw.minReplicas, raw.maxReplicas, trans);
  if ('error' in replicas) {
    return { value: null, error: replicas.error };
  }
  const percent = Number(raw.logPercent.trim() || '0');
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    return { value: null, error: trans.__('The request log keeps 0 to 100% of the requests.') };
  }
  return {
    value: {
      name,
      model_uri: uri,
      min_replicas: replicas.min,
      max_replicas: replicas.max,
      request_log_rate: percent / 100
    },
    error: null
  };
}

/** The "Deploy version" form as typed. */
export interface DeployFormRaw {
  modelUri: string;
  /** Percent of traffic the new version gets first; 0 switches all at once. */
  canary: string;
}

/** The body of `POST …/deployments/{name}/versions`, or why the form cannot be sent. */
export function readDeployForm(
  raw: DeployFormRaw,
  trans: TranslationBundle = plainTrans
): { value: VersionDeploy | null; error: string | null } {
  const uri = readModelUri(raw.modelUri, trans);
  if (typeof uri !== 'string') {
    return { value: null, error: uri.error };
  }
  const canary = wholeNumber(raw.canary || '0');
  if (canary === null || canary > 99) {
    return {
      value: null,
      error: trans.__('The canary share is a whole percent from 0 to 99 (0: all at once).')
    };
  }
  return { value: { model_uri: uri, canary }, error: null };
}

/** The "Scale" form as typed. */
export interface ScaleFormRaw {
  minReplicas: string;
  maxReplicas: string;
}

/** The body of `PATCH …/deployments/{name}`, or why the form cannot be sent. */
export function readScaleForm(
  raw: ScaleFormRaw,
  trans: TranslationBundle = plainTrans
): { value: DeploymentUpdate | null; error: string | null } {
  const replicas = readReplicas(raw.minReplicas, raw.maxReplicas, trans);
  if ('error' in replicas) {
    return { value: null, error: replicas.error };
  }
  return { value: { min_replicas: replicas.min, max_replicas: replicas.max }, error: null };
}

/** A request body for the examples: MLflow's `dataframe_split`, one row. */
export const EXAMPLE_BODY = '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}';

/** Quote `text` for a POSIX shell, in single quotes. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** Quote `text` as a Python string literal. */
function pythonQuote(text: string): string {
  return JSON.stringify(text);
}

/**
 * A `curl` call of the endpoint at `url`, with an endpoint key in
 * `$SCALELAB_ENDPOINT_KEY` (a hub token works too: `Authorization: token …`).
 */
export function curlExample(url: string): string {
  return [
    `curl -X POST ${shellQuote(url)} \\`,
    '  -H "Authorization: Bearer $SCALELAB_ENDPOINT_KEY" \\',
    "  -H 'Content-Type: application/json' \\",
    `  -d ${shellQuote(EXAMPLE_BODY)}`
  ].join('\n');
}

/**
 * The same call in Python with `requests`, with the hub token a lab's
 * terminals and notebooks have (`$JUPYTERHUB_API_TOKEN`).
 */
export function pythonExample(url: string): string {
  return [
    'import os',
    'import requests',
    '',
    'response = requests.post(',
    `    ${pythonQuote(url)},`,
    '    headers={"Authorization": f"token {os.environ[\'JUPYTERHUB_API_TOKEN\']}"},',
    `    json=${EXAMPLE_BODY},`,
    '    timeout=30,',
    ')',
    'response.raise_for_status()',
    'print(response.json()["predictions"])'
  ].join('\n');
}
