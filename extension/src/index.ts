import {
  ILabShell,
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CommandIDs } from './common/commands';
import { addDeploymentCommands } from './deployments/commands';
import { createClient } from './common/connection';
import { readSettings, type ScaleLabSettings } from './common/settings';
import { IScaleLabClient } from './common/tokens';
import {
  diffLinkFromSearch,
  projectLinkFromSearch,
  withoutDiffQuery
} from './notifications/helpers';
import { NotificationsModel } from './notifications/model';
import { addModelCommands } from './models/commands';
import { localStorageOrNull, showNotifications } from './notifications/toasts';
import { ScaleLabPanel } from './panel';
import { addProjectCommands } from './projects/commands';
import { addRunCommands } from './runs/commands';

export * from './common/api';
export {
  CommandIDs,
  type CompareRunsArgs,
  type DeployModelArgs,
  type OpenExperimentsArgs,
  type OpenProjectDashboardArgs,
  type RegisterModelArgs
} from './common/commands';
export { endpointUrl, experimentsUrl } from './common/links';
export { createClient } from './common/connection';
export { IScaleLabClient } from './common/tokens';
export { DeploymentsModel } from './deployments/model';
export { ModelsModel } from './models/model';
export { MonitorsModel } from './monitors/model';
export { NotificationsModel } from './notifications/model';
export { ScaleLabPanel, type ScaleLabPanelOptions } from './panel';
export {
  type DashboardTab,
  ProjectDashboard,
  ProjectDashboards
} from './projects/dashboard';
export { ProjectsModel } from './projects/model';
export { RunsModel } from './runs/model';
export { SchedulesModel } from './schedules/model';

/** The id of the plugin, and of its settings (`schema/plugin.json`). */
const PLUGIN_ID = 'scalelab:plugin';

/** Set in the state database once the panel was shown at a first login. */
const SEEN_KEY = 'scalelab:seen';

/** Show the panel at a user's first login (nothing saved in the state yet). */
async function showPanelAtFirstLogin(
  state: IStateDB,
  labShell: ILabShell,
  panel: ScaleLabPanel
): Promise<void> {
  if ((await state.fetch(SEEN_KEY)) !== undefined) {
    return;
  }
  labShell.activateById(panel.id);
  await state.save(SEEN_KEY, true);
}

/** Drop the link's query parameters from the address bar (no reload). */
function forgetDiffQuery(): void {
  const { pathname, search, hash } = window.location;
  const rest = withoutDiffQuery(search);
  if (rest !== search) {
    window.history.replaceState(window.history.state, '', pathname + rest + hash);
  }
}

/** The ScaleLab side-panel plugin; provides the ScaleLab client. */
const plugin: JupyterFrontEndPlugin<IScaleLabClient> = {
  id: PLUGIN_ID,
  description:
    'ScaleLab side panel (signed-in user, service health, projects) and ' +
    'project dashboards (runs, schedules, models, deployments, monitors, members, audit, ' +
    'experiments); ' +
    'notifications.',
  autoStart: true,
  requires: [ILabShell],
  optional: [
    IDefaultFileBrowser,
    ICommandPalette,
    ISettingRegistry,
    ITranslator,
    IRenderMimeRegistry,
    IEditorServices,
    ILayoutRestorer,
    IStateDB
  ],
  provides: IScaleLabClient,
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    rendermime: IRenderMimeRegistry | null,
    editorServices: IEditorServices | null,
    restorer: ILayoutRestorer | null,
    state: IStateDB | null
  ): IScaleLabClient => {
    // A link from a notification or webhook (`lab?scalelab-project=…`):
    // read it before the router rewrites the address.
    const diffLink = diffLinkFromSearch(window.location.search);
    const projectLink = projectLinkFromSearch(window.location.search);
    const trans = (translator ?? nullTranslator).load('scalelab');
    const client = createClient(app.serviceManager.serverSettings);
    const settings = readSettings(null);

    const panel = new ScaleLabPanel({
      client,
      commands: app.commands,
      shell: app.shell,
      trans,
      settings
    });
    labShell.add(panel, 'left', { rank: 200 });
    addRunCommands({
      app,
      client,
      panel,
      browser,
      palette,
      rendermime,
      editorServices,
      translator,
      trans
    });
    const { dashboards } = panel;
    addProjectCommands({ app, client, browser, dashboards, trans });
    addModelCommands({ app, client, dashboards, trans });
    addDeploymentCommands({ app, client, dashboards, trans });
    if (restorer) {
      restorer.add(panel, panel.id);
      void restorer.restore(dashboards.tracker, {
        command: CommandIDs.openProjectDashboard,
        args: widget => ({ slug: widget.content.slug, tab: widget.content.tab }),
        name: widget => widget.content.slug
      });
    }
    if (state) {
      void app.restored
        .then(() => showPanelAtFirstLogin(state, labShell, panel))
        .catch((err: unknown) => {
          console.warn('ScaleLab: could not read the saved state', err);
        });
    }

    const notifications = new NotificationsModel({
      client,
      storage: localStorageOrNull(),
      interval: settings.notificationsPollInterval
    });
    showNotifications(notifications, app.commands, trans);

    const apply = (next: ScaleLabSettings): void => {
      panel.configure(next);
      notifications.interval = next.notificationsPollInterval;
      if (next.showNotifications) {
        notifications.start();
      } else {
        notifications.stop();
      }
    };
    if (settingRegistry) {
      Promise.all([settingRegistry.load(PLUGIN_ID), app.restored])
        .then(([loaded]) => {
          apply(readSettings(loaded.composite));
          loaded.changed.connect(() => {
            apply(readSettings(loaded.composite));
          });
        })
        .catch((err: unknown) => {
          console.warn('ScaleLab: could not load the settings', err);
          apply(settings);
        });
    } else {
      apply(settings);
    }

    if (diffLink !== null) {
      void app.restored.then(() => {
        forgetDiffQuery();
        return app.commands.execute(CommandIDs.compareRuns, { ...diffLink });
      });
    }
    if (projectLink !== null) {
      const { project, run, view } = projectLink;
      void app.restored
        .then(() => {
          forgetDiffQuery();
          return run !== null
            ? app.commands.execute(CommandIDs.openRun, { project, run })
            : app.commands.execute(CommandIDs.openProjectDashboard, { slug: project, tab: view });
        })
        .catch((err: unknown) => {
          console.warn('ScaleLab: could not open the link', err);
        });
    }
    return client;
  }
};

export default plugin;
