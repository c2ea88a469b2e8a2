import { type JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { type RegisteredModelModel, type ScaleLabClient } from '../common/api';
import { CommandIDs, type RegisterModelArgs } from '../common/commands';
import { askSaveDialog } from '../common/dialogs';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { type ProjectDashboards } from '../projects/dashboard';
import { RegisterModelForm } from './form';

/** Options for {@link addModelCommands}. */
export interface ModelCommandsOptions {
  app: JupyterFrontEnd;
  client: ScaleLabClient;
  /** A registered model is shown in the Models tab of its project's dashboard. */
  dashboards: ProjectDashboards;
  trans?: TranslationBundle;
}

/**
 * Show the "Register model" dialog for run `run` of project `slug`:
 * Register closes it only once the service registered the version.
 *
 * Resolves to the registered model, or `null` when cancelled.
 */
export async function askRegisterModel(
  client: Pick<ScaleLabClient, 'registerModel'>,
  slug: string,
  run: { id: string; target: string },
  trans: TranslationBundle = plainTrans
): Promise<RegisteredModelModel | null> {
  const form = new RegisterModelForm({ client, slug, run, trans });
  const body = new Widget({ node: form.node });
  return askSaveDialog(form, body, {
    title: trans.__('Register a model from run %1', run.id),
    saveLabel: trans.__('Register'),
    saveAriaLabel: trans.__('Register model'),
    focusNodeSelector: '[name="name"]',
    trans
  });
}

/**
 * Register `scalelab:register-model`: the "Register model" dialog for a
 * run, then the new version in the Models tab of the project's dashboard.
 */
export function addModelCommands(options: ModelCommandsOptions): void {
  const { app, client, dashboards } = options;
  const trans = options.trans ?? plainTrans;
  app.commands.addCommand(CommandIDs.registerModel, {
    label: trans.__('Register model…'),
    caption: trans.__('Register the model a run logged as a new version (deployers)'),
    execute: async args => {
      const { project, run, target } = args as Partial<RegisterModelArgs>;
      if (typeof project !== 'string' || !project || typeof run !== 'string' || !run) {
        throw new Error('scalelab:register-model needs a project and a run');
      }
      const saved = await askRegisterModel(
        client,
        project,
        { id: run, target: typeof target === 'string' ? target : '' },
        trans
      );
      if (saved === null) {
        return null;
      }
      try {
        const dashboard = await dashboards.open(project, 'models');
        dashboard.modelsModel.replace(saved);
      } catch (err) {
        await showErrorMessage(
          trans.__('Registered %1, but could not show it', saved.name),
          errorMessage(err)
        );
      }
      return saved;
    }
  });
}
