import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { createClient } from './connection';
import { ScaleLabPanel } from './panel';

export * from './api';
export { createClient } from './connection';
export { ScaleLabPanel } from './panel';

/** The ScaleLab side-panel plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'scalelab:plugin',
  description: 'ScaleLab side panel: signed-in user and service health.',
  autoStart: true,
  requires: [ILabShell],
  activate: (app: JupyterFrontEnd, labShell: ILabShell): void => {
    const client = createClient(app.serviceManager.serverSettings);
    const panel = new ScaleLabPanel(client);
    labShell.add(panel, 'left', { rank: 200 });
  }
};

export default plugin;
