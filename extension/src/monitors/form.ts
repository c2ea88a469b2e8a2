import { type MonitorCreate, type MonitorModel, type ScaleLabClient } from '../common/api';
import { type SavingForm } from '../common/dialogs';
import { el, errorLine, input, select, setError } from '../common/dom';
import { errorMessage, singleLine } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { MONITOR_METRICS, type MonitorFormRaw, newMonitorRaw, readMonitorForm } from './helpers';

/**
 * "New monitor": its name, the endpoint it watches, when it checks and
 * the score it tracks, if any (thresholds, retraining and the webhook keep
 * the service's defaults: the API sets them). {@link save} sends it and
 * shows the service's refusal on one line. Plain DOM: the dialog wraps
 * {@link node}.
 */
export class MonitorForm implements SavingForm<MonitorModel> {
  readonly node: HTMLElement;

  constructor(
    client: Pick<ScaleLabClient, 'createMonitor'>,
    slug: string,
    endpoints: readonly string[],
    trans: TranslationBundle = plainTrans
  ) {
    this._send = body => client.createMonitor(slug, body);
    this._trans = trans;
    const raw = newMonitorRaw(endpoints[0] ?? '');
    const testid = 'scalelab-monitor-create';
    const field = (label: string, help: string, control: HTMLElement) =>
      el(
        'label',
        { className: 'jp-ScaleLabRunForm-param', title: help },
        el('span', { className: 'jp-ScaleLabRunForm-name', text: label }),
        control,
        el('span', { className: 'jp-ScaleLabRunForm-help', text: help })
      );
    this._name = input('name', trans.__('e.g. churn-drift'), { testid: `${testid}-name` });
    this._name.value = raw.name;
    this._endpoint = select('endpoint', endpoints, raw.endpoint, {
      testid: `${testid}-endpoint`
    });
    this._cron = input('cron', raw.cron, { testid: `${testid}-cron` });
    this._cron.value = raw.cron;
    // The first choice, '', tracks no score: drift only.
    this._metric = select('metric', ['', ...MONITOR_METRICS], raw.metric, {
      testid: `${testid}-metric`
    });
    this._metric.querySelector('option')!.textContent = trans.__('none (drift only)');

    this._fieldError = errorLine(`${testid}-field-error`);
    this._error = errorLine(`${testid}-error`);
    this._fieldset = el(
      'fieldset',
      { className: 'jp-ScaleLabRegisterForm-fields jp-ScaleLabDeployForm-fields' },
      el('div', {
        className: 'jp-ScaleLabRunForm-steps',
        text: trans.__("Watch an endpoint's requests for drift from its model's training data")
      }),
      field(trans.__('Monitor name'), trans.__('lowercase letters, digits and dashes'), this._name),
      field(trans.__('Endpoint'), trans.__('the endpoint it watches'), this._endpoint),
      field(trans.__('When'), trans.__('five cron fields, in UTC; hourly by default'), this._cron),
      field(
        trans.__('Score'),
        trans.__("the model's score on labels posted later"),
        this._metric
      ),
      this._fieldError
    );
    this.node = el(
      'div',
      { className: 'jp-ScaleLabRunForm jp-ScaleLabDeployForm', testid },
      this._fieldset,
      this._error
    );
    this.node.addEventListener('input', () => {
      setError(this._fieldError, readMonitorForm(this.raw, trans).error);
    });
    setError(this._fieldError, readMonitorForm(this.raw, trans).error);
  }

  /** The values as typed. */
  get raw(): MonitorFormRaw {
    return {
      name: this._name.value,
      endpoint: this._endpoint.value,
      cron: this._cron.value,
      metric: this._metric.value
    };
  }

  /** The monitor as the service answered (after {@link save} worked). */
  getValue(): MonitorModel | null {
    return this._saved;
  }

  canSave(): boolean {
    return !this._saving && readMonitorForm(this.raw, this._trans).error === null;
  }

  async save(): Promise<boolean> {
    const { value, error } = readMonitorForm(this.raw, this._trans);
    if (this._saving || value === null) {
      setError(this._fieldError, error);
      return false;
    }
    setError(this._error, null);
    this._setSaving(true);
    try {
      this._saved = await this._send(value);
      return true;
    } catch (err) {
      setError(
        this._error,
        this._trans.__('Not created: %1', singleLine(errorMessage(err)))
      );
      return false;
    } finally {
      this._setSaving(false);
    }
  }

  private _setSaving(saving: boolean): void {
    this._saving = saving;
    this._fieldset.disabled = saving;
    // Let the dialog check again whether its button may be pressed.
    this.node.dispatchEvent(new Event('input'));
  }

  private readonly _send: (body: MonitorCreate) => Promise<MonitorModel>;
  private readonly _trans: TranslationBundle;
  private readonly _name: HTMLInputElement;
  private readonly _endpoint: HTMLSelectElement;
  private readonly _cron: HTMLInputElement;
  private readonly _metric: HTMLSelectElement;
  private readonly _fieldError: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _fieldset: HTMLFieldSetElement;
  private _saving = false;
  private _saved: MonitorModel | null = null;
}
