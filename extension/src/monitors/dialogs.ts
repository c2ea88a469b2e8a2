/**
 * The JupyterLab dialogs of the Monitors tab; the view loads this module
 * with its first dialog (and tests give the view stand-ins).
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { type MonitorModel, type ScaleLabClient } from '../common/api';
import { askSaveDialog } from '../common/dialogs';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { sortEndpoints } from '../deployments/helpers';
import { MonitorForm } from './form';

/** "New monitor" in project `slug`, on one of its endpoints; the monitor, or `null`. */
export async function askCreateMonitor(
  client: Pick<ScaleLabClient, 'createMonitor' | 'listDeployments'>,
  slug: string,
  trans: TranslationBundle = plainTrans
): Promise<MonitorModel | null> {
  const { deployments } = await client.listDeployments(slug);
  const form = new MonitorForm(
    client,
    slug,
    sortEndpoints(deployments).map(e => e.name),
    trans
  );
  return askSaveDialog(form, new Widget({ node: form.node }), {
    title: trans.__('New monitor in %1', slug),
    saveLabel: trans.__('Create'),
    saveAriaLabel: trans.__('Create monitor'),
    focusNodeSelector: 'input',
    trans
  });
}

/** Ask before deleting `monitor`; resolves to `true` to go on. */
export async function confirmDeleteMonitor(
  monitor: MonitorModel,
  trans: TranslationBundle = plainTrans
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Delete monitor “%1”?', monitor.name),
    body: trans.__(
      'It stops watching %1; its checks, drift reports and breaches are deleted with it. ' +
        'The endpoint serves on.',
      monitor.endpoint
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete'), ariaLabel: trans.__('Delete monitor') })
    ]
  });
  return result.button.accept;
}
