import {
  type DeploymentCreate,
  type DeploymentUpdate,
  type EndpointModel,
  type ScaleLabClient,
  type VersionDeploy
} from '../common/api';
import { type SavingForm } from '../common/dialogs';
import { el, errorLine, input, setError } from '../common/dom';
import { errorMessage, singleLine } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import {
  newCreateRaw,
  readCreateForm,
  readDeployForm,
  readScaleForm,
  suggestModelUri,
  versionLabel
} from './helpers';

/** One text field of an {@link EndpointForm}. */
export interface EndpointField {
  /** The control's name (and its key in the form's raw values). */
  name: string;
  label: string;
  help: string;
  value: string;
  placeholder?: string;
}

/** Options for {@link EndpointForm}. */
export interface EndpointFormOptions<B> {
  /** The form's `data-testid`; its fields are `<testid>-<name>`. */
  testid: string;
  /** A line above the fields (what the form acts on). */
  intro: string;
  fields: EndpointField[];
  /** The request body from the values typed, or why it cannot be sent. */
  read: (raw: Record<string, string>) => { value: B | null; error: string | null };
  /** Send the body; resolves to the endpoint as the service answers. */
  send: (body: B) => Promise<EndpointModel>;
  /** The error line of a refusal, from the service's message. */
  failed: (message: string) => string;
}

/**
 * The body of a dialog that changes an endpoint (new endpoint, deploy a
 * version, scale): labelled text fields, checked as typed; {@link save}
 * sends them and shows the service's refusal on one line in the form.
 * Plain DOM: the dialog wraps {@link node}.
 */
export class EndpointForm<B> implements SavingForm<EndpointModel> {
  readonly node: HTMLElement;

  constructor(options: EndpointFormOptions<B>) {
    this._options = options;
    const fields = options.fields.map(field => {
      const control = input(field.name, field.placeholder ?? '', {
        className: 'jp-ScaleLabRunForm-input',
        testid: `${options.testid}-${field.name}`,
        attrs: { 'aria-label': field.label }
      });
      control.value = field.value;
      this._controls.set(field.name, control);
      return el(
        'label',
        { className: 'jp-ScaleLabRunForm-param', title: field.help },
        el('span', { className: 'jp-ScaleLabRunForm-name', text: field.label }),
        control,
        el('span', { className: 'jp-ScaleLabRunForm-help', text: field.help })
      );
    });
    this._fieldError = errorLine(`${options.testid}-field-error`);
    this._error = errorLine(`${options.testid}-error`);
    this._fieldset = el(
      'fieldset',
      { className: 'jp-ScaleLabRegisterForm-fields jp-ScaleLabDeployForm-fields' },
      el('div', { className: 'jp-ScaleLabRunForm-steps', text: options.intro }),
      ...fields,
      this._fieldError
    );
    this.node = el(
      'div',
      { className: 'jp-ScaleLabRunForm jp-ScaleLabDeployForm', testid: options.testid },
      this._fieldset,
      this._error
    );
    this.node.addEventListener('input', () => {
      this._validate();
    });
    this._validate();
  }

  /** The values as typed, by field name. */
  get raw(): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [name, control] of this._controls) {
      raw[name] = control.value;
    }
    return raw;
  }

  /** The endpoint as the service answered (after {@link save} worked). */
  getValue(): EndpointModel | null {
    return this._saved;
  }

  /** Whether the form may be sent: every field valid, not sending. */
  canSave(): boolean {
    return !this._saving && this._options.read(this.raw).error === null;
  }

  /** Send the form; resolves to whether it worked (the form shows why not). */
  async save(): Promise<boolean> {
    if (this._saving) {
      return false;
    }
    const { value, error } = this._options.read(this.raw);
    if (value === null) {
      setError(this._fieldError, error);
      return false;
    }
    setError(this._error, null);
    this._setSaving(true);
    try {
      this._saved = await this._options.send(value);
      return true;
    } catch (err) {
      setError(this._error, this._options.failed(singleLine(errorMessage(err))));
      return false;
    } finally {
      this._setSaving(false);
    }
  }

  private _validate(): void {
    const { error } = this._options.read(this.raw);
    setError(this._fieldError, error);
  }

  private _setSaving(saving: boolean): void {
    this._saving = saving;
    this._fieldset.disabled = saving;
    // Let the dialog check again whether its button may be pressed.
    this.node.dispatchEvent(new Event('input'));
  }

  private readonly _options: EndpointFormOptions<B>;
  private readonly _controls = new Map<string, HTMLInputElement>();
  private readonly _fieldError: HTMLElement;
  private readonly _error: HTMLElement;
  private readonly _fieldset: HTMLFieldSetElement;
  private _saving = false;
  private _saved: EndpointModel | null = null;
}

/** "New endpoint": its name, the model it serves first, replicas, request log share. */
export function createEndpointForm(
  client: Pick<ScaleLabClient, 'createDeployment'>,
  slug: string,
  start: { name?: string; modelUri?: string } = {},
  trans: TranslationBundle = plainTrans
): EndpointForm<DeploymentCreate> {
  const raw = newCreateRaw(start.name ?? '', start.modelUri ?? '');
  return new EndpointForm<DeploymentCreate>({
    testid: 'scalelab-endpoint-create',
    intro: trans.__('A new endpoint of project %1, serving a registered model', slug),
    fields: [
      {
        name: 'name',
        label: trans.__('Endpoint name'),
        help: trans.__('lowercase letters, digits and dashes; in its URL'),
        value: raw.name,
        placeholder: trans.__('e.g. churn')
      },
      {
        name: 'modelUri',
        label: trans.__('Model'),
        help: trans.__('models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH'),
        value: raw.modelUri,
        placeholder: 'models:/churn/1'
      },
      {
        name: 'minReplicas',
        label: trans.__('Fewest replicas'),
        help: trans.__('always running'),
        value: raw.minReplicas
      },
      {
        name: 'maxReplicas',
        label: trans.__('Most replicas'),
        help: trans.__('added under load'),
        value: raw.maxReplicas
      },
      {
        name: 'logPercent',
        label: trans.__('Request log (%)'),
        help: trans.__('share of the requests written to the request log'),
        value: raw.logPercent
      }
    ],
    read: values =>
      readCreateForm(
        {
          name: values.name ?? '',
          modelUri: values.modelUri ?? '',
          minReplicas: values.minReplicas ?? '',
          maxReplicas: values.maxReplicas ?? '',
          logPercent: values.logPercent ?? ''
        },
        trans
      ),
    send: body => client.createDeployment(slug, body),
    failed: message => trans.__('Not deployed: %1', message)
  });
}

/** "Deploy version": the model to deploy blue-green, and its canary share of traffic. */
export function deployVersionForm(
  client: Pick<ScaleLabClient, 'deployVersion'>,
  slug: string,
  endpoint: EndpointModel,
  trans: TranslationBundle = plainTrans
): EndpointForm<VersionDeploy> {
  return new EndpointForm<VersionDeploy>({
    testid: 'scalelab-endpoint-deploy',
    intro: trans.__(
      'Endpoint %1 serves %2. The new version takes traffic once it passes its checks, ' +
        'and keeps it if its error rate holds during the bake.',
      endpoint.name,
      versionLabel(endpoint.blue)
    ),
    fields: [
      {
        name: 'modelUri',
        label: trans.__('Model'),
        help: trans.__('models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID/PATH'),
        value: suggestModelUri(endpoint)
      },
      {
        name: 'canary',
        label: trans.__('Canary (%)'),
        help: trans.__('share of traffic it gets first; 0 switches all at once'),
        value: '0'
      }
    ],
    read: values =>
      readDeployForm({ modelUri: values.modelUri ?? '', canary: values.canary ?? '' }, trans),
    send: body => client.deployVersion(slug, endpoint.name, body),
    failed: message => trans.__('Not deployed: %1', message)
  });
}

/** "Scale": the fewest and most replicas of an endpoint. */
export function scaleForm(
  client: Pick<ScaleLabClient, 'updateDeployment'>,
  slug: string,
  endpoint: EndpointModel,
  trans: TranslationBundle = plainTrans
): EndpointForm<DeploymentUpdate> {
  return new EndpointForm<DeploymentUpdate>({
    testid: 'scalelab-endpoint-scale',
    intro: trans.__(
      'Endpoint %1 runs %2 replica(s); it adds some under load, up to the most.',
      endpoint.name,
      endpoint.replicas.length
    ),
    fields: [
      {
        name: 'minReplicas',
        label: trans.__('Fewest replicas'),
        help: trans.__('always running'),
        value: String(endpoint.min_replicas)
      },
      {
        name: 'maxReplicas',
        label: trans.__('Most replicas'),
        help: trans.__('added under load'),
        value: String(endpoint.max_replicas)
      }
    ],
    read: values =>
      readScaleForm(
        { minReplicas: values.minReplicas ?? '', maxReplicas: values.maxReplicas ?? '' },
        trans
      ),
    send: body => client.updateDeployment(slug, endpoint.name, body),
    failed: message => trans.__('Not scaled: %1', message)
  });
}
