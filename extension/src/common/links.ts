/**
 * Links to the pages the ScaleLab service serves next to the hub.
 *
 * No JupyterLab imports: the caller passes what `PageConfig` says, so
 * vitest can test it in plain Node.
 */

/** What a hub-hosted lab's page config says about its hub. */
export interface HubPageConfig {
  /** `PageConfig.getOption('hubHost')`: `''` unless the hub is on another host. */
  hubHost?: string | null;
  /** `PageConfig.getOption('hubPrefix')`, e.g. `/hub/` or `/base/hub/`. */
  hubPrefix?: string | null;
}

/** The path of the ScaleLab service's pages, e.g. `/services/scalelab/`. */
export const SERVICE_PATH = 'services/scalelab/';

/**
 * The hub's base URL: the parent of its prefix (`/hub/` -> `/`,
 * `/base/hub/` -> `/base/`), after `hubHost` if the hub is on another host.
 * Without a prefix (a lab that is not run by a hub) the origin's root.
 */
export function hubBaseUrl(page: HubPageConfig): string {
  const host = (page.hubHost ?? '').replace(/\/+$/, '');
  const segments = (page.hubPrefix ?? '').split('/').filter(part => part !== '');
  // Services live next to `hub/` under the same base.
  segments.pop();
  const base = segments.length ? `/${segments.join('/')}/` : '/';
  return host + base;
}

/** The MLflow UI of project `slug` (its experiments), served by the ScaleLab service. */
export function experimentsUrl(slug: string, page: HubPageConfig): string {
  return `${hubBaseUrl(page)}${SERVICE_PATH}mlflow/${encodeURIComponent(slug)}/`;
}

/**
 * Where endpoint `name` of project `slug` answers predictions (POST, MLflow's
 * scoring protocol), as a browser reaches it: the service's `serve/` path
 * next to the hub, made absolute with `origin` unless the hub is on another host.
 */
export function endpointUrl(
  slug: string,
  name: string,
  page: HubPageConfig,
  origin: string = ''
): string {
  const path =
    `${hubBaseUrl(page)}${SERVICE_PATH}serve/` +
    `${encodeURIComponent(slug)}/${encodeURIComponent(name)}/invocations`;
  return /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : origin.replace(/\/+$/, '') + path;
}
