import { type JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';

import { type ScaleLabClient } from '../common/api';
import { CommandIDs, type DeployModelArgs } from '../common/commands';
import { errorMessage } from '../common/helpers';
import { endpointUrl } from '../common/links';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { type ProjectDashboards } from '../projects/dashboard';
import { askCreateEndpoint } from './dialogs';

/** Options for {@link addDeploymentCommands}. */
export interface DeploymentCommandsOptions {
  app: JupyterFrontEnd;
  client: ScaleLabClient;
  /** A new endpoint is shown in the Deployments tab of its project's dashboard. */
  dashboards: ProjectDashboards;
  trans?: TranslationBundle;
}

/** Where a browser on this lab's page reaches endpoint `name` of project `slug`. */
export function browserEndpointUrl(slug: string, name: string): string {
  return endpointUrl(
    slug,
    name,
    {
      hubHost: PageConfig.getOption('hubHost'),
      hubPrefix: PageConfig.getOption('hubPrefix')
    },
    window.location.origin
  );
}

/**
 * Register `scalelab:deploy-model`: the "New endpoint" dialog for a
 * project, then the endpoint (starting) in the Deployments tab of its dashboard.
 */
export function addDeploymentCommands(options: DeploymentCommandsOptions): void {
  const { app, client, dashboards } = options;
  const trans = options.trans ?? plainTrans;
  app.commands.addCommand(CommandIDs.deployModel, {
    label: trans.__('New endpoint…'),
    caption: trans.__('Serve a registered model behind a new endpoint (deployers)'),
    execute: async args => {
      const { project, model_uri: modelUri, name } = args as Partial<DeployModelArgs>;
      if (typeof project !== 'string' || !project) {
        throw new Error('scalelab:deploy-model needs a project');
      }
      const saved = await askCreateEndpoint(
        client,
        project,
        {
          name: typeof name === 'string' ? name : undefined,
          modelUri: typeof modelUri === 'string' ? modelUri : undefined
        },
        trans
      );
      if (saved === null) {
        return null;
      }
      try {
        const dashboard = await dashboards.open(project, 'deployments');
        dashboard.deploymentsModel.replace(saved);
      } catch (err) {
        await showErrorMessage(
          trans.__('Deployed %1, but could not show it', saved.name),
          errorMessage(err)
        );
      }
      return saved;
    }
  });
}
