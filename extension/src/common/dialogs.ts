import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

import { type ProjectModel, type ScheduleModel } from './api';

/**
 * Ask the user to type the project's slug to confirm its deletion.
 *
 * Resolves to the typed text, or `null` when the dialog was cancelled.
 */
export async function askDeleteConfirmation(
  project: ProjectModel
): Promise<string | null> {
  const result = await InputDialog.getText({
    title: `Delete project “${project.title || project.slug}”?`,
    label: `Type ${project.slug} to delete`,
    placeholder: project.slug,
    okLabel: 'Delete',
    required: true
  });
  return result.button.accept ? (result.value ?? '') : null;
}

/** Ask before deleting a schedule; resolves to `true` to delete. */
export async function confirmDeleteSchedule(schedule: ScheduleModel): Promise<boolean> {
  const result = await showDialog({
    title: `Delete schedule “${schedule.name}”?`,
    body: `It will not run ${schedule.target} any more. Its runs stay.`,
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: 'Delete', ariaLabel: 'Delete schedule' })
    ]
  });
  return result.button.accept;
}
