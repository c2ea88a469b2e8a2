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

/**
 * A {@link PolledProjectListModel} shown in a tab of the project dashboard:
 * it loads and polls only while {@link shown} (the dashboard is shown and
 * its tab selected); being shown again reloads it.
 */
export abstract class ShownProjectListModel<T> extends PolledProjectListModel<T> {
  /** Whether the dashboard is shown and the tab selected. */
  get shown(): boolean {
    return this._active && this._visible;
  }

  /** The dashboard is shown (`true`) or hidden; polls only while shown. */
  setActive(active: boolean): void {
    this._setShown(active, this._visible);
  }

  /** The tab is selected (`true`) or not; polls only while selected. */
  setVisible(visible: boolean): void {
    this._setShown(this._active, visible);
  }

  protected polling(): boolean {
    return this.shown;
  }

  protected shouldLoad(): boolean {
    return this.shown;
  }

  private _setShown(active: boolean, visible: boolean): void {
    if (this.isDisposed) {
      return;
    }
    const was = this.shown;
    this._active = active;
    this._visible = visible;
    if (this.shown && !was && this.project !== null) {
      void this.reload();
    }
  }

  private _active = false;
  private _visible = false;
}

/** The last action on an item that failed: what was asked (`W`), and why. */
export type ActionError<W> = W & { reason: unknown };

/**
 * A {@link ShownProjectListModel} of named items, one of them selected
 * (the first, unless one still there was) with its history (`H`) loaded
 * beside them, again whenever they load or an action ends.
 *
 * Actions on an item ({@link act}) mark it busy while they run; the last
 * one that failed is kept (`W`: what was asked) until the next one.
 */
export abstract class SelectableProjectListModel<
  T extends { name: string },
  H,
  W extends object
> extends ShownProjectListModel<T> {
  /** The name of the selected item (its history is shown), if any. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected item, if any. */
  get selectedItem(): T | null {
    return this.items.find(item => item.name === this._selected) ?? null;
  }

  /** The history of the selected item (`null` until loaded). */
  get history(): H | null {
    return this._history;
  }

  /** Why the history of the selected item could not be loaded, or `null`. */
  get historyError(): unknown {
    return this._historyError;
  }

  /** The last action that failed, if it did (until the next one). */
  get actionError(): ActionError<W> | null {
    return this._actionError;
  }

  /** Whether item `name` is being changed. */
  isBusy(name: string): boolean {
    return this._busy.has(name);
  }

  /** Select item `name` and load its history. */
  select(name: string | null): void {
    if (name === this._selected) {
      return;
    }
    this._selected = name;
    this._forgetHistory();
    this.emitChanged();
    const slug = this.slug;
    if (slug !== null && name !== null) {
      void this._loadHistory(slug, name);
    }
  }

  /** Add or update an item of the shown project (e.g. as an action answered), select it. */
  replace(item: T): void {
    const slug = this.slug;
    if (slug === null) {
      return;
    }
    this.setItems(this.upsert(this.items, item));
    if (this._selected !== item.name) {
      this.select(item.name);
      return;
    }
    this.emitChanged();
    void this._loadHistory(slug, item.name);
  }

  /** Fetch the history of item `name` of project `slug`. */
  protected abstract fetchHistory(slug: string, name: string): Promise<H>;

  /** `items` with `item` added or replaced, in the order shown. */
  protected abstract upsert(items: readonly T[], item: T): T[];

  /**
   * Run `action` on item `name` of the shown project, marked busy; keep its
   * error as {@link actionError} (with `what` was asked); then reload the
   * history shown. Resolves to whether it worked.
   */
  protected async act(
    name: string,
    what: W,
    action: (slug: string) => Promise<void>
  ): Promise<boolean> {
    const slug = this.slug;
    if (slug === null || this._busy.has(name)) {
      return false;
    }
    this._busy.add(name);
    this._actionError = null;
    this.emitChanged();
    let ok = true;
    try {
      await action(slug);
    } catch (err) {
      ok = false;
      if (this.slug === slug) {
        this._actionError = { ...what, reason: err ?? new Error('unknown error') };
      }
    } finally {
      this._busy.delete(name);
    }
    if (this.slug !== slug) {
      return ok;
    }
    this.emitChanged();
    if (this._selected !== null) {
      void this._loadHistory(slug, this._selected);
    }
    return ok;
  }

  /** Show an item as an action answered it (without emitting). */
  protected update(item: T | undefined): void {
    if (item) {
      this.setItems(this.upsert(this.items, item));
    }
  }

  /** Drop item `name` of project `slug` (just deleted), if still shown (without emitting). */
  protected drop(slug: string, name: string): void {
    if (this.slug !== slug) {
      return;
    }
    this.setItems(this.items.filter(item => item.name !== name));
    if (this._selected === name) {
      this._selected = this.items[0]?.name ?? null;
      this._forgetHistory();
    }
  }

  protected onProjectChanged(): void {
    this._busy.clear();
    this._actionError = null;
    this._selected = null;
    this._forgetHistory();
  }

  protected onLoaded(slug: string): void {
    if (!this.items.some(item => item.name === this._selected)) {
      this._selected = this.items[0]?.name ?? null;
      this._forgetHistory();
    }
    if (this._selected !== null) {
      void this._loadHistory(slug, this._selected);
    }
  }

  private _forgetHistory(): void {
    this._history = null;
    this._historyError = null;
  }

  private async _loadHistory(slug: string, name: string): Promise<void> {
    const id = ++this._historyLoad;
    const current = () => id === this._historyLoad && this.slug === slug && this._selected === name;
    try {
      const history = await this.fetchHistory(slug, name);
      if (!current()) {
        return;
      }
      this._history = history;
      this._historyError = null;
    } catch (err) {
      if (!current()) {
        return;
      }
      this._historyError = err ?? new Error('unknown error');
    }
    this.emitChanged();
  }

  private readonly _busy = new Set<string>();
  private _actionError: ActionError<W> | null = null;
  private _selected: string | null = null;
  private _history: H | null = null;
  private _historyError: unknown = null;
  private _historyLoad = 0;
}
