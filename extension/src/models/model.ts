import { type RegisteredModelModel, type ScaleLabClient } from '../common/api';
import { ShownProjectListModel } from '../common/listmodel';
import { DEFAULT_SETTINGS } from '../common/settings';
import { canDeploy, sortModels, upsertModel } from './helpers';

/** The client calls the models model makes. */
export type ModelsClient = Pick<ScaleLabClient, 'listModels' | 'setModelAlias' | 'removeModelAlias'>;

/** Options for {@link ModelsModel}. */
export interface ModelsModelOptions {
  client: ModelsClient;
  /** Milliseconds between polls while the models are shown. */
  interval?: number;
}

/** The last alias change that failed, and why. */
export interface ModelActionError {
  action: 'set-alias' | 'remove-alias';
  model: string;
  alias: string;
  /** The version the alias was to point at (`set-alias`). */
  version?: string;
  reason: unknown;
}

/**
 * The registered models of the current project, by name, each with its
 * versions newest first; deployers (and hub admins) set and remove aliases.
 *
 * While shown (the dashboard is shown and the Models tab selected), they
 * are reloaded every {@link interval} ms. {@link changed} is emitted
 * whenever the state changes.
 */
export class ModelsModel extends ShownProjectListModel<RegisteredModelModel> {
  constructor(options: ModelsModelOptions) {
    super({
      name: 'scalelab:models',
      interval: options.interval ?? DEFAULT_SETTINGS.schedulesPollInterval
    });
    this._client = options.client;
  }

  /** The models, by name, each with its versions newest first. */
  get models(): readonly RegisteredModelModel[] {
    return this.items;
  }

  /** Whether the caller may register models and move aliases. */
  get canDeploy(): boolean {
    return this.project !== null && canDeploy(this.project, this.user);
  }

  /** The last alias change that failed, if it did (until the next one). */
  get actionError(): ModelActionError | null {
    return this._actionError;
  }

  /** Whether an alias of model `name` is being changed. */
  isBusy(name: string): boolean {
    return this._busy.has(name);
  }

  /** Add or update a model of the shown project (e.g. one just registered). */
  replace(model: RegisteredModelModel): void {
    if (this.slug === null) {
      return;
    }
    this.setItems(upsertModel(this.items, model));
    this.emitChanged();
  }

  /** Point `alias` of model `name` at `version`; resolves to whether it worked. */
  async setAlias(name: string, alias: string, version: string): Promise<boolean> {
    return this._act(
      { action: 'set-alias', model: name, alias, version },
      slug => this._client.setModelAlias(slug, name, alias, version)
    );
  }

  /** Remove `alias` of model `name`; resolves to whether it worked. */
  async removeAlias(name: string, alias: string): Promise<boolean> {
    return this._act({ action: 'remove-alias', model: name, alias }, slug =>
      this._client.removeModelAlias(slug, name, alias)
    );
  }

  protected async fetch(slug: string): Promise<RegisteredModelModel[]> {
    return sortModels((await this._client.listModels(slug)).models);
  }

  protected onProjectChanged(): void {
    this._busy.clear();
    this._actionError = null;
  }

  /** Change an alias of a model, marked busy; show the model as answered, or keep the error. */
  private async _act(
    what: Omit<ModelActionError, 'reason'>,
    action: (slug: string) => Promise<RegisteredModelModel>
  ): Promise<boolean> {
    const slug = this.slug;
    if (slug === null || this._busy.has(what.model)) {
      return false;
    }
    this._busy.add(what.model);
    this._actionError = null;
    this.emitChanged();
    let ok = true;
    try {
      const updated = await action(slug);
      if (this.slug === slug && updated) {
        this.setItems(upsertModel(this.items, updated));
      }
    } catch (err) {
      ok = false;
      if (this.slug === slug) {
        this._actionError = { ...what, reason: err ?? new Error('unknown error') };
      }
    } finally {
      this._busy.delete(what.model);
    }
    this.emitChanged();
    return ok;
  }

  private readonly _client: ModelsClient;
  private readonly _busy = new Set<string>();
  private _actionError: ModelActionError | null = null;
}
