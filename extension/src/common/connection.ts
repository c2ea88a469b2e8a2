import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ScaleLabClient } from './api';

/**
 * Make a {@link ScaleLabClient} for the running JupyterLab.
 *
 * Requests go through `ServerConnection.makeRequest`, which adds the XSRF
 * token and the Jupyter server's authentication.
 */
export function createClient(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): ScaleLabClient {
  return new ScaleLabClient({
    baseUrl: URLExt.join(settings.baseUrl, 'scalelab/'),
    fetch: (url, init) =>
      ServerConnection.makeRequest(url, init ?? {}, settings)
  });
}
