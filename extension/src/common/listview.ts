import { setError } from './dom';
import { errorMessage } from './helpers';
import { type ProjectListModel } from './listmodel';
import { plainTrans, type TranslationBundle } from './trans';

/** The texts of a list's load state (translated by the caller). */
export interface ListStateTexts {
  /** Shown once loaded while there is nothing, e.g. "No runs yet.". */
  empty: string;
  /** The load error line, from the error's message. */
  loadError: (message: string) => string;
}

/** The nodes that show a list's load state. */
export interface ListStateNodes {
  /** "Loading…" until loaded, then {@link ListStateTexts.empty} while there is nothing. */
  status: HTMLElement;
  /** An `errorLine`: the load error, if any. */
  error: HTMLElement;
  /** The list itself, hidden while empty. */
  list: HTMLElement;
}

/**
 * A view of a {@link ProjectListModel}: renders it now and whenever it
 * changes, until disposed.
 *
 * Subclasses build their DOM, then call {@link render} once.
 */
export abstract class ProjectListView<M extends ProjectListModel<unknown>> {
  constructor(model: M, trans: TranslationBundle = plainTrans) {
    this._model = model;
    this.trans = trans;
    model.changed.connect(this.onChanged, this);
  }

  abstract readonly node: HTMLElement;

  /** The model shown. */
  get model(): M {
    return this._model;
  }

  /** Stop rendering the model. */
  dispose(): void {
    this._model.changed.disconnect(this.onChanged, this);
  }

  /** The model changed: render it. */
  protected onChanged(): void {
    this.render();
  }

  /** Show the current state of the model. */
  protected abstract render(): void;

  /** Show the load state of the model: the status line, the load error, the list's visibility. */
  protected renderListState(nodes: ListStateNodes, texts: ListStateTexts): void {
    const model = this._model;
    const count = model.items.length;
    const err = model.error;
    setError(nodes.error, err === null ? null : texts.loadError(errorMessage(err)));
    const loading = model.project !== null && !model.loaded;
    nodes.status.textContent = loading ? this.trans.__('Loading…') : texts.empty;
    nodes.status.hidden = !loading && count > 0;
    nodes.list.hidden = count === 0;
  }

  protected readonly trans: TranslationBundle;
  private readonly _model: M;
}
