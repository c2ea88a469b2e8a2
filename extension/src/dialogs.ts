import { InputDialog } from '@jupyterlab/apputils';

import { type ProjectModel } from './api';

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
