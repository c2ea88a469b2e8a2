import {
  type RegisteredModelModel,
  type RunModel,
  type ScaleLabClient
} from '../common/api';
import { el, errorLine, input, setError } from '../common/dom';
import { errorMessage, singleLine } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import {
  MODEL_ALIASES,
  newRegisterRaw,
  readRegisterForm,
  type RegisterFormRaw
} from './helpers';

/** Options for {@link RegisterModelForm}. */
export interface RegisterModelFormOptions {
  client: Pick<ScaleLabClient, 'registerModel'>;
  /** The project of the run. */
  slug: string;
  /** The run whose logged model is registered. */
  run: Pick<RunModel, 'id' | 'target'>;
  trans?: TranslationBundle;
}

/**
 * The body of the "Register model" dialog: the model's name (default: the
 * project's slug), the model's path in the run (default `model`) and its
 * aliases (champion, challenger, or others as a comma list).
 *
 * {@link save} registers it; the service's answer to a failure is shown on
 * one line in the form. Plain DOM: the dialog wraps {@link node}.
 */
export class RegisterModelForm {
  readonly node: HTMLElement;

  constructor(options: RegisterModelFormOptions) {
    this._options = options;
    const trans = (this._trans = options.trans ?? plainTrans);
    const raw = newRegisterRaw(options.slug);

    const text = (name: string, value: string, testid: string, label: string) => {
      const node = input(name, '', {
        className: 'jp-ScaleLabRunForm-input',
        testid,
        attrs: { 'aria-label': label }
      });
      node.value = value;
      return node;
    };
    this._name = text('name', raw.name, 'scalelab-register-name', trans.__('Model name'));
    this._artifactPath = text(
      'artifact_path',
      raw.artifactPath,
      'scalelab-register-artifact-path',
      trans.__('Artifact path')
    );
    this._other = text('aliases', raw.other, 'scalelab-register-aliases', trans.__('Other aliases'));
    this._other.placeholder = trans.__('e.g. staging, candidate-2');

    const field = (label: string, control: HTMLElement, help: string): HTMLElement =>
      el(
        'label',
        { className: 'jp-ScaleLabRunForm-param', title: help },
        el('span', { className: 'jp-ScaleLabRunForm-name', text: label }),
        control,
        el('span', { className: 'jp-ScaleLabRunForm-help', text: help })
      );

    const checkboxes = el('div', {
      className: 'jp-ScaleLabRegisterForm-aliases',
      attrs: { role: 'group', 'aria-label': trans.__('Aliases') }
    });
    for (const alias of MODEL_ALIASES) {
      const box = el('input', {
        testid: `scalelab-register-alias-${alias}`,
        attrs: { name: `alias-${alias}`, 'aria-label': alias }
      });
      box.type = 'checkbox';
      box.checked = raw.checked.includes(alias);
      this._checkboxes.set(alias, box);
      checkboxes.append(
        el(
          'label',
          { className: 'jp-ScaleLabRunForm-param jp-mod-checkbox' },
          box,
          el('span', { text: alias })
        )
      );
    }

    this._fieldError = errorLine('scalelab-register-field-error');
    this._error = errorLine('scalelab-register-error');
    this._fieldset = el(
      'fieldset',
      { className: 'jp-ScaleLabRegisterForm-fields' },
      el('div', {
        className: 'jp-ScaleLabRunForm-steps',
        testid: 'scalelab-register-run',
        text: options.run.target
          ? trans.__(
              'The model logged by run %1 (%2) in project %3',
              options.run.id,
              options.run.target,
              options.slug
            )
          : trans.__('The model logged by run %1 in project %2', options.run.id, options.slug)
      }),
      field(
        trans.__('Model name'),
        this._name,
        trans.__('a new version of this registered model (made if missing)')
      ),
      field(
        trans.__('Artifact path'),
        this._artifactPath,
        trans.__('where the run logged the model, e.g. model')
      ),
      el('span', { className: 'jp-ScaleLabRunForm-name', text: trans.__('Aliases') }),
      checkboxes,
      field(
        trans.__('Other aliases'),
        this._other,
        trans.__('comma separated; an alias moves here from another version')
      ),
      this._fieldError
    );
    this.node = el(
      'div',
      {
        className: 'jp-ScaleLabRunForm jp-ScaleLabRegisterForm',
        testid: 'scalelab-register-form',
        attrs: { 'data-run-id': options.run.id }
      },
      this._fieldset,
      this._error
    );
    this.node.addEventListener('input', () => {
      this._validate();
    });
    this.node.addEventListener('change', () => {
      this._validate();
    });
    this._validate();
  }

  /** The form as typed. */
  get raw(): RegisterFormRaw {
    return {
      name: this._name.value,
      artifactPath: this._artifactPath.value,
      checked: MODEL_ALIASES.filter(alias => this._checkboxes.get(alias)?.checked === true),
      other: this._other.value
    };
  }

  /** The registered model (after {@link save} worked). */
  getValue(): RegisteredModelModel | null {
    return this._saved;
  }

  /** Whether Register may be pressed: every field valid, not saving. */
  canSave(): boolean {
    return !this._saving && readRegisterForm(this.raw, this._options.run.id).error === null;
  }

  /**
   * Register the model; resolves to whether it worked. The service's
   * answer to a failure (e.g. no model at that path) is shown in the form.
   */
  async save(): Promise<boolean> {
    if (this._saving) {
      return false;
    }
    const { value, error } = readRegisterForm(this.raw, this._options.run.id, this._trans);
    if (value === null) {
      setError(this._fieldError, error);
      return false;
    }
    setError(this._error, null);
    this._setSaving(true);
    try {
      this._saved = await this._options.client.registerModel(this._options.slug, value);
      return true;
    } catch (err) {
      setError(
        this._error,
        this._trans.__('Not registered: %1', singleLine(errorMessage(err)))
      );
      return false;
    } finally {
      this._setSaving(false);
    }
  }

  private _validate(): void {
    const { error } = readRegisterForm(this.raw, this._options.run.id, this._trans);
    setError(this._fieldError, error);
    this._name.setAttribute('aria-invalid', String(!this._name.value.trim()));
    this._artifactPath.setAttribute('aria-invalid', String(!this._artifactPath.value.trim()));
  }

  private _setSaving(saving: boolean): void {
    this._saving = saving;
    this._fieldset.disabled = saving;
    // Let the dialog check again whether Register may be pressed.
    this.node.dispatchEvent(new Event('input'));
  }

  private readonly _options: RegisterModelFormOptions;
  private readonly _trans: TranslationBundle;
  private readonly _name: HTMLInputElement;
  private readonly _artifactPath: HTMLInputElement;
  private readonly _other: HTMLInputElement;
  private readonly _checkboxes = new Map<string, HTMLInputElement>();
  private readonly _fieldError: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _fieldset: HTMLFieldSetElement;
  private _saving = false;
  private _saved: RegisteredModelModel | null = null;
}
