import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { type ParameterModel, type ParametersModel } from '../common/api';
import { el, errorLine, setError } from '../common/dom';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import {
  changedParameters,
  initialRaw,
  parameterControl,
  rawFromValue,
  type RawValue,
  readValue
} from './helpers';

/** What the run form returns: the changed parameters and `fresh`. */
export interface RunFormValue {
  parameters: Record<string, unknown>;
  fresh: boolean;
}

/** Options for {@link RunForm}. */
export interface RunFormOptions {
  /**
   * Values to show instead of the defaults (e.g. the parameters of an
   * earlier run); names that are not parameters are ignored.
   */
  values?: Readonly<Record<string, unknown>>;
  /** Whether "fresh" starts checked (default: no). */
  fresh?: boolean;
  /** Whether the form has the "fresh" checkbox (default: yes). */
  freshControl?: boolean;
  /**
   * Prefix of the controls' `name` attributes (default: none), so that
   * parameters cannot clash with other fields of a larger form.
   */
  namePrefix?: string;
  trans?: TranslationBundle;
}

type Control = HTMLInputElement | HTMLTextAreaElement;

/** The control of one parameter, typed by the parameter's `type`. */
function parameterInput(
  param: ParameterModel,
  options: RunFormOptions
): Control {
  const kind = parameterControl(param);
  const trans = options.trans ?? plainTrans;
  const values = options.values ?? {};
  const raw = Object.prototype.hasOwnProperty.call(values, param.name)
    ? rawFromValue(param, values[param.name])
    : initialRaw(param);
  const attrs = {
    name: (options.namePrefix ?? '') + param.name,
    'aria-label': param.name,
    'data-type': param.type
  };
  const elementOptions = {
    className: 'jp-ScaleLabRunForm-input',
    testid: `scalelab-param-${param.name}`,
    title:
      param.help ||
      (param.default_source
        ? trans.__('%1 (%2), default: %3', param.name, param.type, param.default_source)
        : `${param.name} (${param.type})`),
    attrs
  };
  if (kind === 'json') {
    const area = el('textarea', elementOptions);
    area.rows = Math.min(6, Math.max(2, String(raw).length / 40 + 1));
    area.spellcheck = false;
    area.value = String(raw);
    return area;
  }
  const input = el('input', elementOptions);
  if (param.default_source) {
    // Computed by the notebook when left empty or untouched.
    input.placeholder = param.default_source;
  }
  input.autocomplete = 'off';
  input.spellcheck = false;
  switch (kind) {
    case 'checkbox':
      input.type = 'checkbox';
      input.checked = raw === true;
      break;
    case 'integer':
      input.type = 'number';
      input.step = '1';
      input.value = String(raw);
      break;
    case 'number':
      input.type = 'number';
      input.step = 'any';
      input.value = String(raw);
      break;
    default:
      input.type = 'text';
      input.value = String(raw);
      if (param.type === 'None' && !param.default_source) {
        input.placeholder = trans.__('JSON value or text');
      }
      break;
  }
  return input;
}

function rawOf(control: Control): RawValue {
  return control instanceof HTMLInputElement && control.type === 'checkbox'
    ? control.checked
    : control.value;
}

/**
 * The body of the "Run with parameters" dialog: one control per
 * parameter, prefilled with its default, and a "fresh" checkbox.
 *
 * Invalid values are marked (`jp-mod-error`) as they are typed, which
 * disables the dialog's Run button.
 */
export class RunForm extends Widget {
  constructor(model: ParametersModel, options: RunFormOptions = {}) {
    super();
    const trans = options.trans ?? plainTrans;
    this.addClass('jp-ScaleLabRunForm');
    this._params = model.parameters;

    const form = el('form', {
      className: 'jp-ScaleLabRunForm-form',
      testid: 'scalelab-run-form',
      attrs: { 'data-kind': model.kind, 'data-path': model.path }
    });
    form.addEventListener('submit', event => {
      event.preventDefault();
    });

    if (model.kind === 'pipeline' && model.steps.length) {
      form.append(
        el('div', {
          className: 'jp-ScaleLabRunForm-steps',
          testid: 'scalelab-run-steps',
          text: trans.__('Steps: %1', model.steps.join(' → '))
        })
      );
    }
    if (this._params.length === 0) {
      form.append(
        el('div', {
          className: 'jp-ScaleLabRunForm-none',
          text:
            model.kind === 'pipeline'
              ? trans.__('This pipeline has no parameters.')
              : trans.__('This notebook has no parameters.')
        })
      );
    }
    for (const param of this._params) {
      const control = parameterInput(param, options);
      this._controls.set(param.name, control);
      const label = el(
        'label',
        {
          className:
            'jp-ScaleLabRunForm-param' +
            (control instanceof HTMLInputElement && control.type === 'checkbox'
              ? ' jp-mod-checkbox'
              : ''),
          title: param.help || ''
        },
        el(
          'span',
          { className: 'jp-ScaleLabRunForm-name' },
          el('span', { text: param.name }),
          el('span', {
            className: 'jp-ScaleLabRunForm-type',
            text: param.type === 'None' ? trans.__('any') : param.type
          })
        ),
        control
      );
      if (param.help) {
        label.append(el('span', { className: 'jp-ScaleLabRunForm-help', text: param.help }));
      }
      form.append(label);
    }

    this._fresh = el('input', {
      testid: 'scalelab-run-fresh',
      attrs: { name: 'scalelab-fresh' }
    });
    this._fresh.type = 'checkbox';
    this._fresh.checked = options.fresh === true;
    if (options.freshControl !== false) {
      form.append(
        el(
          'label',
          {
            className: 'jp-ScaleLabRunForm-param jp-mod-checkbox jp-ScaleLabRunForm-fresh',
            title: trans.__('Reuse no outputs of earlier runs')
          },
          this._fresh,
          el('span', { text: trans.__('Run every step again (fresh)') })
        )
      );
    }
    this._error = errorLine('scalelab-run-form-error');
    form.append(this._error);

    form.addEventListener('input', event => {
      if (event.target === form) {
        return;
      }
      this.validate();
      // The dialog re-checks `.jp-mod-error` on input events (in the capture
      // phase, before this listener): tell it the validation changed.
      form.dispatchEvent(new Event('input'));
    });
    this.node.append(form);
  }

  /** The current raw value of each parameter control. */
  raws(): Record<string, RawValue> {
    const raws: Record<string, RawValue> = {};
    for (const [name, control] of this._controls) {
      raws[name] = rawOf(control);
    }
    return raws;
  }

  /** Mark invalid controls; returns the first error message, or `null`. */
  validate(): string | null {
    let first: string | null = null;
    for (const param of this._params) {
      const control = this._controls.get(param.name);
      if (!control) {
        continue;
      }
      let message: string | null = null;
      try {
        readValue(param, rawOf(control));
      } catch (err) {
        message = errorMessage(err);
      }
      // An untouched default that does not parse (an expression) is fine.
      if (message !== null && rawOf(control) === initialRaw(param)) {
        message = null;
      }
      control.classList.toggle('jp-mod-error', message !== null);
      control.setAttribute('aria-invalid', String(message !== null));
      first ??= message;
    }
    setError(this._error, first);
    return first;
  }

  /** The changed parameters and `fresh`; throws on invalid input. */
  getValue(): RunFormValue {
    return {
      parameters: changedParameters(this._params, this.raws()),
      fresh: this._fresh.checked
    };
  }

  private readonly _params: readonly ParameterModel[];
  private readonly _controls = new Map<string, Control>();
  private readonly _fresh: HTMLInputElement;
  private readonly _error: HTMLElement;
}

/**
 * Show the run dialog for a notebook or pipeline.
 *
 * Resolves to the form value, or `null` when cancelled.
 */
export async function askRunOptions(
  model: ParametersModel,
  title: string,
  trans: TranslationBundle = plainTrans
): Promise<RunFormValue | null> {
  const body = new RunForm(model, { trans });
  const first = model.parameters[0];
  const result = await showDialog<RunFormValue>({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Run'), ariaLabel: trans.__('Run') })
    ],
    focusNodeSelector: first ? `[name="${CSS.escape(first.name)}"]` : undefined
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return result.value;
}
