import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';
import { type Widget } from '@lumino/widgets';

import {
  type ModelVersionModel,
  type ProjectModel,
  type RegisteredModelModel,
  type ScheduleModel
} from './api';
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

/**
 * Ask which alias to point at `version` of `model`: one of `offered`, or
 * any other typed. Resolves to the alias, or `null` when cancelled.
 */
export async function askModelAlias(
  model: RegisteredModelModel,
  version: ModelVersionModel,
  offered: readonly string[],
  trans: TranslationBundle = plainTrans
): Promise<string | null> {
  const result = await InputDialog.getItem({
    title: trans.__('Set an alias on version %1 of %2', version.version, model.name),
    label: trans.__('Choose an alias or type one (it moves here if another version has it)'),
    items: [...offered],
    current: offered[0] ?? '',
    editable: true,
    placeholder: trans.__('alias'),
    okLabel: trans.__('Set alias'),
    cancelLabel: trans.__('Cancel')
  });
  return result.button.accept ? (result.value?.trim() ?? '') || null : null;
}

/** A form that saves itself: the body of a {@link SaveDialog}. */
export interface SavingForm<T> {
  /** Whether Save may be pressed now. */
  canSave(): boolean;
  /** Save; resolves to whether it worked (the form shows why not). */
  save(): Promise<boolean>;
  /** What was saved, once {@link save} worked. */
  getValue(): T | null;
}

/**
 * A dialog whose Save button saves the form first: it closes only when
 * saving worked, and stays disabled while the form cannot be saved.
 *
 * The form tells of its changes by an `input` event on its node.
 */
export class SaveDialog<T> extends Dialog<T | null> {
  constructor(options: Partial<Dialog.IOptions<T | null>>, form: SavingForm<T>) {
    super(options);
    this._form = form;
    this._buttonCount = options.buttons?.length ?? 0;
    this._accept = (options.buttons ?? []).map(b => b.accept);
  }

  handleEvent(event: Event): void {
    super.handleEvent(event);
    if (event.type === 'input') {
      this._updateSave();
    }
  }

  resolve(index?: number): void {
    const i = index ?? this._buttonCount - 1;
    if (!this._accept[i] || this._done) {
      super.resolve(index);
      return;
    }
    if (!this._form.canSave()) {
      return;
    }
    void this._form.save().then(saved => {
      if (saved && !this.isDisposed) {
        this._done = true;
        super.resolve(i);
      }
    });
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._updateSave();
  }

  private _updateSave(): void {
    const save = this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-footer button.jp-mod-accept'
    );
    if (save && !this._form.canSave()) {
      save.disabled = true;
    }
  }

  private readonly _form: SavingForm<T>;
  private readonly _buttonCount: number;
  private readonly _accept: boolean[];
  private _done = false;
}

/** Options for {@link askSaveDialog}. */
export interface SaveDialogOptions {
  title: string;
  /** The Save button's label and accessible name. */
  saveLabel: string;
  saveAriaLabel?: string;
  /** The control focused first. */
  focusNodeSelector?: string;
  trans?: TranslationBundle;
}

/**
 * Show `body` (the widget of `form`) in a {@link SaveDialog}.
 *
 * Resolves to what was saved, or `null` when cancelled.
 */
export async function askSaveDialog<T>(
  form: SavingForm<T>,
  body: Widget,
  options: SaveDialogOptions
): Promise<T | null> {
  const trans = options.trans ?? plainTrans;
  const dialog = new SaveDialog<T>(
    {
      title: options.title,
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({
          label: options.saveLabel,
          ariaLabel: options.saveAriaLabel ?? options.saveLabel
        })
      ],
      focusNodeSelector: options.focusNodeSelector
    },
    form
  );
  const result = await dialog.launch();
  return result.button.accept ? form.getValue() : null;
}
