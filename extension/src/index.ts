import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { type ProjectModel } from './api';
import { createClient } from './connection';
import { ScaleLabPanel } from './panel';

export * from './api';
export { createClient } from './connection';
export { ScaleLabPanel, type ScaleLabPanelOptions } from './panel';

/** The ScaleLab side-panel plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'scalelab:plugin',
  description:
    'ScaleLab side panel: signed-in user, service health and projects.',
  autoStart: true,
  requires: [ILabShell],
  optional: [IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    browser: IDefaultFileBrowser | null
  ): void => {
    const client = createClient(app.serviceManager.serverSettings);
    const openWorkspace = browser
      ? async (project: ProjectModel): Promise<void> => {
          await browser.model.cd('/' + project.workspace);
          app.shell.activateById(browser.id);
        }
      : undefined;
    const panel = new ScaleLabPanel(client, { openWorkspace });
    labShell.add(panel, 'left', { rank: 200 });
  }
};

export default plugin;
