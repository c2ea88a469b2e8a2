import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

import { type ProjectModel, type ScheduleModel } from './api';
import { plainTrans, type TranslationBundle } from './trans';

/**
 * Ask the user to type the project's slug to confirm its deletion.
 *
 * Resolves to the typed text, or `null` when the dialog was cancelled.
 */
export async function askDeleteConfirmation(
  project: ProjectModel,
  trans: TranslationBundle = plainTrans
): Promise<string | null> {
  const result = await InputDialog.getText({
    title: trans.__('Delete project “%1”?', project.title || project.slug),
    label: trans.__('Type %1 to delete', project.slug),
    placeholder: project.slug,
    okLabel: trans.__('Delete'),
    cancelLabel: trans.__('Cancel'),
    required: true
  });
  return result.button.accept ? (result.value ?? '') : null;
}

/** Ask before deleting a schedule; resolves to `true` to delete. */
export async function confirmDeleteSchedule(
  schedule: ScheduleModel,
  trans: TranslationBundle = plainTrans
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Delete schedule “%1”?', schedule.name),
    body: trans.__('It will not run %1 any more. Its runs stay.', schedule.target),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete'), ariaLabel: trans.__('Delete schedule') })
    ]
  });
  return result.button.accept;
}
