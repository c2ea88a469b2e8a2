import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  CONCURRENCY_POLICIES,
  MISFIRE_POLICIES,
  NOTIFY_WHEN,
  type ParametersModel,
  type ScaleLabClient,
  type ScheduleModel
} from '../common/api';
import { askSaveDialog } from '../common/dialogs';
import { el, errorLine, input, select, setError } from '../common/dom';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { RunForm } from '../runs/form';
import { formatSeconds } from '../runs/helpers';
import {
  browserTimezone,
  CronPreviewer,
  type CronPreviewState,
  formatFireTime,
  knownTimezones,
  MISFIRE_DEADLINE_MAX,
  MISFIRE_DEADLINE_MIN,
  newScheduleRaw,
  readScheduleForm,
  RETRIES_MAX,
  scheduleCreateBody,
  type ScheduleField,
  type ScheduleFormErrors,
  type ScheduleFormRaw,
  scheduleRaw,
  type ScheduleRequest,
  scheduleUpdateBody
} from './helpers';

/** Options for {@link ScheduleForm}. */
export interface ScheduleFormOptions {
  client: ScaleLabClient;
  slug: string;
  /** The notebook or pipeline, relative to the project workspace. */
  target: string;
  /** Its parameters; `null` when they could not be read. */
  parameters: ParametersModel | null;
  /** Why the parameters could not be read. */
  parametersError?: string | null;
  /**
   * Parameter values to start with (e.g. those of a finished run); when
   * editing, the schedule's.
   */
  values?: Readonly<Record<string, unknown>>;
  /** The schedule to edit; missing: create a new one. */
  schedule?: ScheduleModel | null;
  /** The timezone of a new schedule; default: the browser's. */
  timezone?: string;
  trans?: TranslationBundle;
}

type FieldControl = HTMLInputElement | HTMLSelectElement;

let datalistCount = 0;

/**
 * The body of the schedule dialog: name, cron and timezone (with a preview
 * of the next fire times), parameters, and the schedule's policies.
 *
 * While the cron expression or timezone is typed, the server is asked for
 * a preview (debounced); saving is possible only while that preview is
 * valid and every field is.
 */
export class ScheduleForm extends Widget {
  constructor(options: ScheduleFormOptions) {
    super();
    this.addClass('jp-ScaleLabRunForm');
    this.addClass('jp-ScaleLabScheduleForm');
    this._options = options;
    const trans = options.trans ?? plainTrans;
    const schedule = options.schedule ?? null;
    const raw: ScheduleFormRaw = schedule
      ? scheduleRaw(schedule)
      : newScheduleRaw(options.target, options.timezone ?? browserTimezone());

    this._previewer = new CronPreviewer({
      request: (cron, timezone) =>
        options.client.previewCron(options.slug, { cron, timezone }),
      onChange: state => {
        this._renderPreview(state, trans);
        this._changed();
      }
    });

    const testid = (name: ScheduleField): string => `scalelab-schedule-${name.replace(/_/g, '-')}`;
    const text = (name: ScheduleField, value: string, attrs: Record<string, string> = {}) => {
      const { placeholder = '', ...rest } = attrs;
      const node = input(name, placeholder, {
        className: 'jp-ScaleLabRunForm-input',
        testid: testid(name),
        attrs: { 'aria-label': name, ...rest }
      });
      node.value = value;
      this._controls.set(name, node);
      return node;
    };
    const number = (name: ScheduleField, value: string, attrs: Record<string, string>) => {
      const node = text(name, value, attrs);
      node.type = 'number';
      return node;
    };
    const choice = (name: ScheduleField, values: readonly string[], value: string) => {
      const node = select(name, values, value, {
        testid: testid(name),
        attrs: { 'aria-label': name }
      });
      this._controls.set(name, node);
      return node;
    };

    const name = text('name', raw.name, { maxlength: '100' });
    const cron = text('cron', raw.cron, { placeholder: '0 6 * * *' });
    const timezones = knownTimezones();
    const listId = `scalelab-timezones-${++datalistCount}`;
    const timezone = text('timezone', raw.timezone, {
      placeholder: 'Europe/Paris',
      ...(timezones.length ? { list: listId } : {})
    });
    const datalist = el('datalist', { attrs: { id: listId } });
    for (const zone of timezones) {
      const option = el('option');
      option.value = zone;
      datalist.append(option);
    }

    this._previewStatus = el('div', {
      className: 'jp-ScaleLabScheduleForm-previewStatus',
      testid: 'scalelab-cron-status',
      attrs: { role: 'status' }
    });
    this._previewList = el('ol', {
      className: 'jp-ScaleLabScheduleForm-preview',
      testid: 'scalelab-cron-preview',
      attrs: { 'aria-label': trans.__('Next fire times') }
    });
    this._previewError = errorLine('scalelab-cron-error');

    const timeout = number('timeout', raw.timeout, {
      min: '0',
      step: 'any',
      placeholder: trans.__('none')
    });
    const retries = number('retries', raw.retries, {
      min: '0',
      max: String(RETRIES_MAX),
      step: '1'
    });
    const misfire = choice('misfire', MISFIRE_POLICIES, raw.misfire);
    const deadline = number('misfire_deadline', raw.misfire_deadline, {
      min: String(MISFIRE_DEADLINE_MIN),
      max: String(MISFIRE_DEADLINE_MAX),
      step: '1'
    });
    const concurrency = choice('concurrency', CONCURRENCY_POLICIES, raw.concurrency);
    const notify = choice('notify', NOTIFY_WHEN, raw.notify);
    const webhook = text('webhook_url', raw.webhook_url, {
      placeholder: schedule?.webhook
        ? trans.__('unchanged (%1)', schedule.webhook)
        : trans.__('https://hooks.slack.com/services/… (optional)')
    });
    webhook.type = 'url';

    this._fresh = el('input', {
      testid: 'scalelab-schedule-fresh',
      attrs: { name: 'fresh', 'aria-label': 'fresh' }
    });
    this._fresh.type = 'checkbox';
    this._fresh.checked = raw.fresh;
    this._removeWebhook = el('input', {
      testid: 'scalelab-schedule-remove-webhook',
      attrs: { name: 'remove_webhook', 'aria-label': 'remove webhook' }
    });
    this._removeWebhook.type = 'checkbox';

    this._fieldErrors = errorLine('scalelab-schedule-field-error');
    this._error = errorLine('scalelab-schedule-form-error');

    const field = (
      label: string,
      control: HTMLElement,
      help?: string,
      ...extra: HTMLElement[]
    ): HTMLElement =>
      el(
        'label',
        { className: 'jp-ScaleLabRunForm-param', title: help ?? '' },
        el('span', { className: 'jp-ScaleLabRunForm-name', text: label }),
        control,
        ...(help ? [el('span', { className: 'jp-ScaleLabRunForm-help', text: help })] : []),
        ...extra
      );
    const checkbox = (control: HTMLInputElement, label: string, help: string): HTMLElement =>
      el(
        'label',
        { className: 'jp-ScaleLabRunForm-param jp-mod-checkbox', title: help },
        control,
        el('span', { text: label })
      );

    // Parameters: the run form's controls, prefilled.
    const params = el('div', {
      className: 'jp-ScaleLabScheduleForm-parameters',
      testid: 'scalelab-schedule-parameters'
    });
    if (options.parameters) {
      this._runForm = new RunForm(options.parameters, {
        values: options.values,
        trans,
        namePrefix: 'parameters.',
        freshControl: false
      });
      params.append(this._runForm.node);
    } else {
      params.append(
        el('div', {
          className: 'jp-ScaleLabPanel-error',
          text:
            trans.__('The parameters of %1 could not be read', options.target) +
            (options.parametersError ? `: ${options.parametersError}` : '') +
            (schedule ? trans.__('; they stay as they are.') : '.')
        })
      );
    }

    const fields = el(
      'fieldset',
      { className: 'jp-ScaleLabScheduleForm-fields' },
      el('div', {
        className: 'jp-ScaleLabRunForm-steps',
        testid: 'scalelab-schedule-target',
        text: schedule
          ? trans.__('Runs %1 in project %2', options.target, options.slug)
          : trans.__('Run %1 in project %2', options.target, options.slug)
      }),
      field(trans.__('Name'), name),
      field(trans.__('Cron'), cron, trans.__('minute hour day-of-month month day-of-week')),
      field(trans.__('Timezone'), timezone, trans.__('IANA name, e.g. Europe/Paris or UTC')),
      datalist,
      el(
        'div',
        { className: 'jp-ScaleLabScheduleForm-previewHost' },
        el('span', { className: 'jp-ScaleLabRunForm-name', text: trans.__('Next fire times') }),
        this._previewStatus,
        this._previewList,
        this._previewError
      ),
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Parameters') }),
      params,
      el('div', { className: 'jp-ScaleLabPanel-subheading', text: trans.__('Options') }),
      field(trans.__('Timeout (seconds per step)'), timeout, trans.__('empty: no timeout')),
      field(trans.__('Retries'), retries, trans.__('0 to %1 per step', RETRIES_MAX)),
      checkbox(
        this._fresh,
        trans.__('Run every step again (fresh)'),
        trans.__('Reuse no outputs of earlier runs')
      ),
      field(
        trans.__('Misfire policy'),
        misfire,
        trans.__(
          'fire times missed while the service was down: one catch-up run (run_once) or skip them'
        )
      ),
      field(
        trans.__('Misfire deadline (seconds)'),
        deadline,
        trans.__('older misses are not caught up')
      ),
      field(
        trans.__('Concurrency'),
        concurrency,
        trans.__(
          'when the previous run is still going: forbid (skip this one), allow, or replace it'
        )
      ),
      field(
        trans.__('Notify'),
        notify,
        trans.__('notify the project members (and the webhook) on')
      ),
      field(trans.__('Webhook URL'), webhook, trans.__('Slack-compatible incoming webhook'))
    );
    if (schedule?.webhook) {
      fields.append(
        checkbox(
          this._removeWebhook,
          trans.__('Remove the webhook (%1)', schedule.webhook),
          trans.__('No more webhook')
        )
      );
    }
    fields.append(this._fieldErrors);
    this._fieldset = fields;

    const form = el(
      'div',
      {
        className: 'jp-ScaleLabScheduleForm-form',
        testid: 'scalelab-schedule-form',
        attrs: {
          'data-mode': schedule ? 'edit' : 'create',
          'data-target': options.target,
          ...(schedule ? { 'data-schedule-id': String(schedule.id) } : {})
        }
      },
      fields,
      this._error
    );
    form.addEventListener('input', () => {
      this._onInput();
    });
    form.addEventListener('change', () => {
      this._onInput();
    });
    this.node.append(form);
    this._previewer.update(raw.cron, raw.timezone);
    this._validate();
  }

  /** The saved schedule (after {@link save} succeeded). */
  getValue(): ScheduleModel | null {
    return this._saved;
  }

  /** The current preview of the cron expression and timezone. */
  get preview(): CronPreviewState {
    return this._previewer.state;
  }

  /** Whether Save may be pressed: valid fields and preview, not saving. */
  canSave(): boolean {
    return (
      !this._saving &&
      this._previewer.canSave &&
      Object.keys(this._errors).length === 0 &&
      (this._runForm === null || this._runForm.validate() === null)
    );
  }

  /**
   * Create or update the schedule; resolves to whether it was saved.
   * An error (e.g. a 400 or 409) is shown in the form.
   */
  async save(): Promise<boolean> {
    if (this._saving || !this.canSave()) {
      return false;
    }
    const { value } = readScheduleForm(this._raw());
    if (value === null) {
      return false;
    }
    const { client, slug, target } = this._options;
    const schedule = this._options.schedule ?? null;
    setError(this._error, null);
    let parameters: Record<string, unknown> | null;
    try {
      parameters = this._runForm
        ? this._runForm.getValue().parameters
        : schedule
          ? null
          : { ...(this._options.values ?? {}) };
    } catch (err) {
      setError(this._error, errorMessage(err));
      return false;
    }
    this._setSaving(true);
    try {
      if (schedule) {
        const body = scheduleUpdateBody(schedule, value, parameters);
        this._saved =
          Object.keys(body).length === 0
            ? schedule
            : await client.updateSchedule(slug, schedule.id, body);
      } else {
        this._saved = await client.createSchedule(
          slug,
          scheduleCreateBody(target, value, parameters ?? {})
        );
      }
      return true;
    } catch (err) {
      setError(this._error, (this._options.trans ?? plainTrans).__('Not saved: %1', errorMessage(err)));
      return false;
    } finally {
      this._setSaving(false);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._previewer.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._changed();
  }

  private _raw(): ScheduleFormRaw {
    const value = (name: ScheduleField): string => this._controls.get(name)?.value ?? '';
    return {
      name: value('name'),
      cron: value('cron'),
      timezone: value('timezone'),
      timeout: value('timeout'),
      retries: value('retries'),
      misfire: value('misfire'),
      misfire_deadline: value('misfire_deadline'),
      concurrency: value('concurrency'),
      notify: value('notify'),
      webhook_url: value('webhook_url'),
      remove_webhook: this._removeWebhook.checked,
      fresh: this._fresh.checked
    };
  }

  private _onInput(): void {
    const raw = this._raw();
    this._previewer.update(raw.cron, raw.timezone);
    this._validate();
    const webhook = this._controls.get('webhook_url');
    if (webhook) {
      webhook.disabled = this._removeWebhook.checked;
    }
    // The dialog checked `.jp-mod-error` in the capture phase, before this
    // listener marked the fields: let it check again.
    this._changed();
  }

  /** Mark the wrong fields (which disables the dialog's Save). */
  private _validate(): void {
    const { errors } = readScheduleForm(this._raw());
    // Cron and timezone are checked by the preview.
    delete errors.cron;
    delete errors.timezone;
    this._errors = errors;
    for (const [name, control] of this._controls) {
      if (name === 'cron' || name === 'timezone') {
        continue;
      }
      const wrong = errors[name] !== undefined;
      control.classList.toggle('jp-mod-error', wrong);
      control.setAttribute('aria-invalid', String(wrong));
    }
    const first = Object.values(errors)[0] ?? null;
    setError(this._fieldErrors, first);
  }

  private _renderPreview(state: CronPreviewState, trans: TranslationBundle): void {
    const invalid = state.status === 'invalid';
    for (const name of ['cron', 'timezone'] as const) {
      this._controls.get(name)?.setAttribute('aria-invalid', String(invalid));
    }
    this._previewStatus.dataset.status = state.status;
    this._previewList.dataset.status = state.status;
    setError(this._previewError, invalid ? state.error : null);
    if (state.status === 'pending') {
      this._previewStatus.textContent = trans.__('Checking…');
      this._previewStatus.hidden = false;
      this._previewList.classList.add('jp-mod-stale');
      return;
    }
    this._previewList.classList.remove('jp-mod-stale');
    if (state.status === 'valid' && state.preview) {
      const { preview } = state;
      const every = formatSeconds(preview.shortest_interval);
      this._previewStatus.textContent = every ? trans.__('At most every %1', every) : '';
      this._previewStatus.hidden = !every;
      this._previewList.replaceChildren(
        ...preview.next_fire_times.map(at =>
          el('li', { text: formatFireTime(at, preview.timezone), title: at })
        )
      );
      this._previewList.hidden = preview.next_fire_times.length === 0;
      return;
    }
    this._previewStatus.hidden = true;
    this._previewList.replaceChildren();
    this._previewList.hidden = true;
  }

  private _setSaving(saving: boolean): void {
    this._saving = saving;
    this._fieldset.disabled = saving;
    this._changed();
  }

  /** Let the dialog re-check whether Save is allowed. */
  private _changed(): void {
    this.node.dispatchEvent(new Event('input'));
  }

  private readonly _options: ScheduleFormOptions;
  private readonly _previewer: CronPreviewer;
  private readonly _controls = new Map<ScheduleField, FieldControl>();
  private readonly _fresh: HTMLInputElement;
  private readonly _removeWebhook: HTMLInputElement;
  private readonly _previewStatus: HTMLElement;
  private readonly _previewList: HTMLOListElement;
  private readonly _previewError: HTMLElement;
  private readonly _fieldErrors: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _fieldset: HTMLFieldSetElement;
  private readonly _runForm: RunForm | null = null;
  private _errors: ScheduleFormErrors = {};
  private _saving = false;
  private _saved: ScheduleModel | null = null;
}

/**
 * Show the schedule dialog (create, or edit `options.schedule`): Save
 * closes it only once the schedule was saved.
 *
 * Resolves to the saved schedule, or `null` when cancelled.
 */
export async function askSchedule(options: ScheduleFormOptions): Promise<ScheduleModel | null> {
  const form = new ScheduleForm(options);
  const trans = options.trans ?? plainTrans;
  const schedule = options.schedule ?? null;
  return askSaveDialog(form, form, {
    title: schedule
      ? trans.__('Edit schedule %1', schedule.name)
      : trans.__('Schedule %1', options.target),
    saveLabel: trans.__('Save'),
    saveAriaLabel: trans.__('Save schedule'),
    focusNodeSelector: '[name="name"]',
    trans
  });
}

/**
 * Read the target's parameters, then show the schedule dialog.
 *
 * Resolves to the saved schedule, or `null` when cancelled.
 */
export async function openScheduleDialog(
  client: ScaleLabClient,
  request: ScheduleRequest,
  trans: TranslationBundle = plainTrans
): Promise<ScheduleModel | null> {
  let parameters: ParametersModel | null = null;
  let parametersError: string | null = null;
  try {
    parameters = await client.getParameters(request.slug, request.target);
  } catch (err) {
    parametersError = errorMessage(err);
  }
  return askSchedule({
    client,
    slug: request.slug,
    target: request.target,
    parameters,
    parametersError,
    values: request.schedule ? request.schedule.parameters : request.values,
    schedule: request.schedule ?? null,
    trans
  });
}
