import { type JupyterFrontEnd } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';
import { type IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { type ScaleLabClient } from '../common/api';
import { CommandIDs } from '../common/commands';
import { experimentsUrl } from '../common/links';
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

/** The MLflow UI of project `slug`, as this lab's hub serves it. */
export function projectExperimentsUrl(slug: string): string {
  return experimentsUrl(slug, {
    hubHost: PageConfig.getOption('hubHost'),
    hubPrefix: PageConfig.getOption('hubPrefix')
  });
}

/**
 * Register `scalelab:open-project-dashboard` (a project's dashboard in the
 * main area), `scalelab:open-experiments` (its MLflow UI in a new browser
 * tab) and `scalelab:open-project` (its workspace in the file browser).
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
  app.commands.addCommand(CommandIDs.openExperiments, {
    label: trans.__('Experiments'),
    caption: trans.__("Open the project's experiments (MLflow) in a new browser tab"),
    execute: args => {
      const { slug } = args;
      if (typeof slug !== 'string' || !slug) {
        throw new Error('scalelab:open-experiments needs a slug');
      }
      // The service signs the browser in through the hub by itself.
      window.open(projectExperimentsUrl(slug), '_blank', 'noopener');
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
