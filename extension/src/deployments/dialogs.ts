/**
 * The JupyterLab dialogs of the Deployments tab; the view loads this module
 * with its first dialog (and tests give the view stand-ins).
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { type EndpointModel, type ScaleLabClient } from '../common/api';
import { askSaveDialog } from '../common/dialogs';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { createEndpointForm, deployVersionForm, type EndpointForm, scaleForm } from './form';
import { versionLabel } from './helpers';

/** Show `form` in a dialog whose `saveLabel` button sends it: the endpoint, or `null`. */
async function askEndpointForm<B>(
  form: EndpointForm<B>,
  title: string,
  saveLabel: string,
  trans: TranslationBundle
): Promise<EndpointModel | null> {
  return askSaveDialog(form, new Widget({ node: form.node }), {
    title,
    saveLabel,
    focusNodeSelector: 'input',
    trans
  });
}

/** "New endpoint" in project `slug`; resolves to the endpoint (starting), or `null`. */
export function askCreateEndpoint(
  client: Pick<ScaleLabClient, 'createDeployment'>,
  slug: string,
  start: { name?: string; modelUri?: string },
  trans: TranslationBundle = plainTrans
): Promise<EndpointModel | null> {
  return askEndpointForm(
    createEndpointForm(client, slug, start, trans),
    trans.__('New endpoint in %1', slug),
    trans.__('Deploy'),
    trans
  );
}

/** "Deploy version" on `endpoint`; resolves to the endpoint as answered, or `null`. */
export function askDeployVersion(
  client: Pick<ScaleLabClient, 'deployVersion'>,
  slug: string,
  endpoint: EndpointModel,
  trans: TranslationBundle = plainTrans
): Promise<EndpointModel | null> {
  return askEndpointForm(
    deployVersionForm(client, slug, endpoint, trans),
    trans.__('Deploy a new version to %1', endpoint.name),
    trans.__('Deploy'),
    trans
  );
}

/** "Scale" `endpoint`; resolves to the endpoint as answered, or `null`. */
export function askScale(
  client: Pick<ScaleLabClient, 'updateDeployment'>,
  slug: string,
  endpoint: EndpointModel,
  trans: TranslationBundle = plainTrans
): Promise<EndpointModel | null> {
  return askEndpointForm(
    scaleForm(client, slug, endpoint, trans),
    trans.__('Scale %1', endpoint.name),
    trans.__('Scale'),
    trans
  );
}

/** Ask before rolling back or removing `endpoint`; resolves to `true` to go on. */
export async function confirmEndpointAction(
  action: 'rollback' | 'remove',
  endpoint: EndpointModel,
  trans: TranslationBundle = plainTrans
): Promise<boolean> {
  const remove = action === 'remove';
  const body = remove
    ? trans.__(
        'Its replicas stop once their requests in flight are answered, and its URL answers no more.'
      )
    : endpoint.green !== null
      ? trans.__(
          '%1 is dropped; %2 takes all traffic again.',
          versionLabel(endpoint.green),
          versionLabel(endpoint.blue)
        )
      : trans.__(
          '%1 comes back through the same checks as a new version, then takes all traffic.',
          versionLabel(endpoint.previous)
        );
  const result = await showDialog({
    title: remove
      ? trans.__('Remove endpoint “%1”?', endpoint.name)
      : trans.__('Roll back endpoint “%1”?', endpoint.name),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      remove
        ? Dialog.warnButton({ label: trans.__('Remove'), ariaLabel: trans.__('Remove endpoint') })
        : Dialog.warnButton({
            label: trans.__('Roll back'),
            ariaLabel: trans.__('Roll back endpoint')
          })
    ]
  });
  return result.button.accept;
}
