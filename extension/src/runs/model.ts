import { type IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';

import {
  type ProjectModel,
  type RunModel,
  type ScaleLabClient,
  type UserModel
} from '../common/api';
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
 * {@link changed} is emitted whenever the state changes.
 */
export class RunsModel implements IDisposable {
  constructor(options: RunsModelOptions) {
    this._client = options.client;
    const interval = options.interval ?? DEFAULT_SETTINGS.runsPollInterval;
    this._poll = new Poll({
      name: 'scalelab:runs',
      factory: () => this._load(),
      frequency: { interval, backoff: false, max: interval },
      standby: () => this.slug === null || !this._loaded || !hasActiveRuns(this._runs)
    });
  }

  /** Emitted whenever the runs, the selection, the project or the error change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Milliseconds between polls while a run is going. */
  get interval(): number {
    return this._poll.frequency.interval;
  }
  set interval(interval: number) {
    if (!this.isDisposed && interval !== this.interval) {
      this._poll.frequency = { interval, backoff: false, max: interval };
    }
  }

  /** The shown project, if any. */
  get project(): ProjectModel | null {
    return this._project;
  }

  /** The signed-in user. */
  get user(): UserModel | null {
    return this._user;
  }

  /** The slug of the shown project, if any. */
  get slug(): string | null {
    return this._project?.slug ?? null;
  }

  /** The runs, newest first. */
  get runs(): readonly RunModel[] {
    return this._runs;
  }

  /** Whether the runs of the shown project were loaded (or failed to) once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Why the last load failed, or `null`. */
  get error(): unknown {
    return this._error;
  }

  /** The id of the selected run, if any. */
  get selectedId(): string | null {
    return this._selected;
  }

  /** The selected run, if any. */
  get selected(): RunModel | null {
    return this._runs.find(r => r.id === this._selected) ?? null;
  }

  /** Whether the panel is shown. */
  get active(): boolean {
    return this._active;
  }

  /** Show the runs of `project` (or nothing) for `user`; a new project is loaded. */
  setProject(project: ProjectModel | null, user: UserModel | null): void {
    const changed = project?.slug !== this._project?.slug;
    this._project = project;
    this._user = user;
    if (changed) {
      this._loadId++;
      this._runs = [];
      this._selected = null;
      this._loaded = false;
      this._error = null;
    }
    this._changed.emit();
    if (changed && project !== null) {
      void this.reload();
    }
  }

  /** The panel is shown (`true`) or hidden; being shown again reloads. */
  setActive(active: boolean): void {
    if (active === this._active || this.isDisposed) {
      return;
    }
    this._active = active;
    if (active && this._project !== null && this._loaded) {
      void this.reload();
    }
  }

  /** Select a run (or none). */
  select(id: string | null): void {
    if (id === this._selected) {
      return;
    }
    this._selected = id;
    this._changed.emit();
  }

  /** Add or update `run` of the shown project, select it and reload. */
  async showRun(run: RunModel): Promise<void> {
    if (this.slug === null) {
      return;
    }
    this._runs = upsertRun(this._runs, run);
    this._selected = run.id;
    this._changed.emit();
    await this.reload();
  }

  /** Reload the runs of the shown project now. */
  async reload(): Promise<void> {
    await this._load();
  }

  /** Cancel a run of the shown project, then reload; rejects on error. */
  async cancel(runId: string): Promise<void> {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    const updated = await this._client.cancelRun(slug, runId);
    if (updated && updated.id === runId && this.slug === slug) {
      this._runs = upsertRun(this._runs, updated);
      this._changed.emit();
    }
    await this.reload();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._active = false;
    this._loadId++;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Load the runs; only the newest load counts. Never rejects. */
  private async _load(): Promise<void> {
    const slug = this.slug;
    if (slug === null || this.isDisposed) {
      return;
    }
    const id = ++this._loadId;
    try {
      const list = await this._client.listRuns(slug);
      if (id !== this._loadId) {
        return;
      }
      this._runs = sortRuns(list.runs);
      this._error = null;
      if (this._selected !== null && !this._runs.some(r => r.id === this._selected)) {
        this._selected = null;
      }
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      this._error = err ?? new Error('unknown error');
    }
    this._loaded = true;
    this._changed.emit();
  }

  private readonly _client: RunsClient;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private _project: ProjectModel | null = null;
  private _user: UserModel | null = null;
  private _runs: RunModel[] = [];
  private _selected: string | null = null;
  private _error: unknown = null;
  private _loaded = false;
  private _active = false;
  private _loadId = 0;
}
