import { type RunModel, type ScaleLabClient } from '../common/api';
import { PolledProjectListModel } from '../common/listmodel';
import { DEFAULT_SETTINGS } from '../common/settings';
import { hasActiveRuns, sortRuns, upsertRun } from './helpers';

/** The client calls the runs model makes. */
export type RunsClient = Pick<ScaleLabClient, 'listRuns' | 'cancelRun'>;

/** Options for {@link RunsModel}. */
export interface RunsModelOptions {
  client: RunsClient;
  /** Milliseconds between polls while a run is queued or running. */
  interval?: number;
}

/**
 * The runs of the current project, newest first, and the selected one.
 *
 * While a run is queued or running, the runs are reloaded every
 * {@link interval} ms (also while the panel is hidden: a run started from
 * the file browser must be current when the panel is shown again).
 * A new project is loaded at once. {@link changed} is emitted whenever the
 * state changes.
 */
export class RunsModel extends PolledProjectListModel<RunModel> {
  constructor(options: RunsModelOptions) {
    super({
      name: 'scalelab:runs',
      interval: options.interval ?? DEFAULT_SETTINGS.runsPollInterval
    });
    this._client = options.client;
  }

  /** The runs, newest first. */
  get runs(): readonly RunModel[] {
    return this.items;
  }

  /** The id of the selected run, if any. */
  get selectedId(): string | null {
    return this._selected;
  }

  /** The selected run, if any. */
  get selected(): RunModel | null {
    return this.items.find(r => r.id === this._selected) ?? null;
  }

  /** Whether the panel is shown. */
  get active(): boolean {
    return this._active;
  }

  /** The panel is shown (`true`) or hidden; being shown again reloads. */
  setActive(active: boolean): void {
    if (active === this._active || this.isDisposed) {
      return;
    }
    this._active = active;
    if (active && this.project !== null && this.loaded) {
      void this.reload();
    }
  }

  /** Select a run (or none). */
  select(id: string | null): void {
    if (id === this._selected) {
      return;
    }
    this._selected = id;
    this.emitChanged();
  }

  /** Add or update `run` of the shown project, select it and reload. */
  async showRun(run: RunModel): Promise<void> {
    if (this.slug === null) {
      return;
    }
    this.setItems(upsertRun(this.items, run));
    this._selected = run.id;
    this.emitChanged();
    await this.reload();
  }

  /** Cancel a run of the shown project, then reload; rejects on error. */
  async cancel(runId: string): Promise<void> {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    const updated = await this._client.cancelRun(slug, runId);
    if (updated && updated.id === runId && this.slug === slug) {
      this.setItems(upsertRun(this.items, updated));
      this.emitChanged();
    }
    await this.reload();
  }

  dispose(): void {
    this._active = false;
    super.dispose();
  }

  protected async fetch(slug: string): Promise<RunModel[]> {
    return sortRuns((await this._client.listRuns(slug)).runs);
  }

  protected polling(): boolean {
    return this.loaded && hasActiveRuns(this.items);
  }

  protected onProjectChanged(): void {
    this._selected = null;
  }

  protected onLoaded(): void {
    if (this._selected !== null && !this.items.some(r => r.id === this._selected)) {
      this._selected = null;
    }
  }

  private readonly _client: RunsClient;
  private _selected: string | null = null;
  private _active = false;
}
