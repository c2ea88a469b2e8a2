import { type IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';

import { type ProjectModel, type UserModel } from './api';

/**
 * A list that belongs to one project (its runs, schedules, members…),
 * fetched through the client: the shown project and the signed-in user,
 * the items as last loaded, whether they were loaded, the load error.
 *
 * Only the newest load counts; a failed load keeps the items.
 * {@link changed} is emitted whenever the state changes.
 */
export abstract class ProjectListModel<T> implements IDisposable {
  /** Emitted whenever the items, the project, the error or other shown state change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
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

  /** The items, as last loaded (or changed since). */
  get items(): readonly T[] {
    return this._items;
  }

  /** Whether the items of the shown project were loaded (or failed to) once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Why the last load failed, or `null`. */
  get error(): unknown {
    return this._error;
  }

  /**
   * Show the items of `project` (or nothing) for `user`; another project
   * forgets the items and is loaded if {@link shouldLoad} says so.
   */
  setProject(project: ProjectModel | null, user: UserModel | null): void {
    const changed = project?.slug !== this._project?.slug;
    this._project = project;
    this._user = user;
    if (changed) {
      this._loadId++;
      this._items = [];
      this._loaded = false;
      this._error = null;
      this.onProjectChanged();
    }
    this._changed.emit();
    if (changed && project !== null && this.shouldLoad()) {
      void this.reload();
    }
  }

  /** Reload the items of the shown project now; never rejects. */
  async reload(): Promise<void> {
    const slug = this.slug;
    if (slug === null || this.isDisposed) {
      return;
    }
    const id = ++this._loadId;
    try {
      const items = await this.fetch(slug);
      if (id !== this._loadId) {
        return;
      }
      this._items = items;
      this._error = null;
      this.onLoaded(slug);
    } catch (err) {
      if (id !== this._loadId) {
        return;
      }
      this._error = err ?? new Error('unknown error');
    }
    this._loaded = true;
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._loadId++;
    Signal.clearData(this);
  }

  /** Fetch the items of project `slug`, in the order shown. */
  protected abstract fetch(slug: string): Promise<T[]>;

  /** Whether a project just shown is loaded at once (default: yes). */
  protected shouldLoad(): boolean {
    return true;
  }

  /** Forget the state kept for the previous project (the items are gone already). */
  protected onProjectChanged(): void {
    // Nothing more by default.
  }

  /** The items of `slug` were just loaded; adjust the state that depends on them. */
  protected onLoaded(slug: string): void {
    // Nothing more by default.
  }

  /** Replace the items (without emitting {@link changed}). */
  protected setItems(items: T[]): void {
    this._items = items;
  }

  /** Emit {@link changed}. */
  protected emitChanged(): void {
    this._changed.emit();
  }

  private readonly _changed = new Signal<this, void>(this);
  private _project: ProjectModel | null = null;
  private _user: UserModel | null = null;
  private _items: T[] = [];
  private _error: unknown = null;
  private _loaded = false;
  private _loadId = 0;
  private _isDisposed = false;
}

/** Options for {@link PolledProjectListModel}. */
export interface PolledProjectListModelOptions {
  /** The name of the poll (for debugging). */
  name: string;
  /** Milliseconds between polls. */
  interval: number;
}

/**
 * A {@link ProjectListModel} reloaded every {@link interval} ms by a
 * `@lumino/polling` `Poll` while a project is shown and {@link polling}
 * says so.
 */
export abstract class PolledProjectListModel<T> extends ProjectListModel<T> {
  constructor(options: PolledProjectListModelOptions) {
    super();
    const { interval } = options;
    this._poll = new Poll({
      name: options.name,
      factory: () => this.reload(),
      frequency: { interval, backoff: false, max: interval },
      standby: () => this.slug === null || !this.polling()
    });
  }

  /** Milliseconds between polls. */
  get interval(): number {
    return this._poll.frequency.interval;
  }
  set interval(interval: number) {
    if (!this.isDisposed && interval !== this.interval) {
      this._poll.frequency = { interval, backoff: false, max: interval };
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  /** Whether to poll now (a project is shown). */
  protected abstract polling(): boolean;

  private readonly _poll: Poll;
}
