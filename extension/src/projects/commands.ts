import { type JupyterFrontEnd } from '@jupyterlab/application';
import { type IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { type ScaleLabClient } from '../common/api';
import { CommandIDs } from '../common/commands';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { isDashboardTab, type ProjectDashboards } from './dashboard';

/** Options for {@link addProjectCommands}. */
export interface ProjectCommandsOptions {
  app: JupyterFrontEnd;
  client: ScaleLabClient;
  /** Without a file browser, `scalelab:open-project` is not added. */
  browser: IDefaultFileBrowser | null;
  /** The project dashboards. */
  dashboards: ProjectDashboards;
  trans?: TranslationBundle;
}

/**
 * Register `scalelab:open-project-dashboard` (a project's dashboard in the
 * main area) and `scalelab:open-project` (its workspace in the file browser).
 */
export function addProjectCommands(options: ProjectCommandsOptions): void {
  const { app, client, browser, dashboards } = options;
  const trans = options.trans ?? plainTrans;
  app.commands.addCommand(CommandIDs.openProjectDashboard, {
    label: args =>
      typeof args.slug === 'string' && args.slug
        ? trans.__('Open ScaleLab project %1', args.slug)
        : trans.__('Open ScaleLab project dashboard'),
    caption: trans.__("Open a ScaleLab project's dashboard in the main area"),
    execute: async args => {
      const { slug, tab } = args;
      if (typeof slug !== 'string' || !slug) {
        throw new Error('scalelab:open-project-dashboard needs a slug');
      }
      return dashboards.open(slug, isDashboardTab(tab) ? tab : undefined);
    }
  });
  if (!browser) {
    return;
  }
  app.commands.addCommand(CommandIDs.openProject, {
    label: trans.__('Open in file browser'),
    caption: trans.__("Show a ScaleLab project's workspace in the file browser"),
    execute: async args => {
      const slug = args.project;
      if (typeof slug !== 'string' || !slug) {
        throw new Error('scalelab:open-project needs a project');
      }
      // The workspace folder, when the caller knows it; else asked for.
      const workspace =
        typeof args.workspace === 'string' && args.workspace
          ? args.workspace
          : (await client.getProject(slug)).workspace;
      app.shell.activateById(browser.id);
      await browser.model.cd('/' + workspace);
    }
  });
}
