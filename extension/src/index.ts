import {
  ILabShell,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { type ProjectModel } from './api';
import { createClient } from './connection';
import { startNotifications } from './notifications';
import { diffLinkFromSearch, withoutDiffQuery } from './notifyhelpers';
import { ScaleLabPanel } from './panel';
import { addRunCommands, createOpenDiff, createShowDiff } from './runcommands';

export * from './api';
export { createClient } from './connection';
export { ScaleLabPanel, type ScaleLabPanelOptions } from './panel';
export { CommandIDs } from './runcommands';

/** Drop the diff's query parameters from the address bar (no reload). */
function forgetDiffQuery(): void {
  const { pathname, search, hash } = window.location;
  const rest = withoutDiffQuery(search);
  if (rest !== search) {
    window.history.replaceState(window.history.state, '', pathname + rest + hash);
  }
}

/** The ScaleLab side-panel plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'scalelab:plugin',
  description:
    'ScaleLab side panel: signed-in user, service health, projects, runs and ' +
    'schedules; notifications of scheduled runs.',
  autoStart: true,
  requires: [ILabShell],
  optional: [IDefaultFileBrowser, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null
  ): void => {
    // A link from a notification or webhook (`lab?scalelab-project=…`):
    // read it before the router rewrites the address.
    const diffLink = diffLinkFromSearch(window.location.search);
    const client = createClient(app.serviceManager.serverSettings);
    const openWorkspace = browser
      ? async (project: ProjectModel): Promise<void> => {
          app.shell.activateById(browser.id);
          await browser.model.cd('/' + project.workspace);
        }
      : undefined;
    const openOutput = (path: string): Promise<unknown> =>
      app.commands.execute('docmanager:open', { path });
    const showDiff = createShowDiff(app);
    const openDiff = createOpenDiff(client, showDiff);
    const panel = new ScaleLabPanel(client, {
      openWorkspace,
      openOutput,
      showDiff
    });
    labShell.add(panel, 'left', { rank: 200 });
    addRunCommands({ app, client, panel, browser, palette });
    startNotifications({ client, openOutput, openDiff });
    if (diffLink !== null) {
      void app.restored.then(() => {
        forgetDiffQuery();
        return openDiff(diffLink);
      });
    }
  }
};

export default plugin;
