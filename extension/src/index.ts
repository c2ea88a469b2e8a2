import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { type ProjectModel } from './api';
import { createClient } from './connection';
import { ScaleLabPanel } from './panel';
import { addRunCommands, createShowDiff } from './runcommands';

export * from './api';
export { createClient } from './connection';
export { ScaleLabPanel, type ScaleLabPanelOptions } from './panel';
export { CommandIDs } from './runcommands';

/** The ScaleLab side-panel plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'scalelab:plugin',
  description:
    'ScaleLab side panel: signed-in user, service health, projects and runs.',
  autoStart: true,
  requires: [ILabShell],
  optional: [IDefaultFileBrowser, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null
  ): void => {
    const client = createClient(app.serviceManager.serverSettings);
    const openWorkspace = browser
      ? async (project: ProjectModel): Promise<void> => {
          app.shell.activateById(browser.id);
          await browser.model.cd('/' + project.workspace);
        }
      : undefined;
    const panel = new ScaleLabPanel(client, {
      openWorkspace,
      openOutput: path => app.commands.execute('docmanager:open', { path }),
      showDiff: createShowDiff(app)
    });
    labShell.add(panel, 'left', { rank: 200 });
    addRunCommands({ app, client, panel, browser, palette });
  }
};

export default plugin;
