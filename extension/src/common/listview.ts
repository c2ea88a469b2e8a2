import { button, classes, el, errorLine, onActivate, setError, viewHeader } from './dom';
import { errorMessage } from './helpers';
import { type ProjectListModel, type SelectableProjectListModel } from './listmodel';
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

/** One of the buttons of {@link SelectableProjectListView.itemActions}. */
export interface ItemAction {
  label: string;
  testid: string;
  /** Whether it makes sense now (it is also disabled while the item is busy). */
  enabled: boolean;
  title: string;
  /** Run it (not awaited). */
  run: () => Promise<unknown>;
  /** A button that destroys (styled as a warning). */
  warn?: boolean;
}

/** What the page of a {@link SelectableProjectListView} shows (translated). */
export interface ItemPageOptions {
  /** How its `data-testid`s start, e.g. `scalelab-monitors`. */
  testid: string;
  /** The classes of the page's `<section>`. */
  className: string;
  /** Its heading. */
  heading: string;
  /** The title of its Refresh button. */
  refreshTitle: string;
  /** The `aria-label` of the table. */
  label: string;
  /** The header cells of the table. */
  columns: HTMLTableCellElement[];
  /** The `data-testid` of the selected item's detail. */
  detailTestid: string;
  /** The "New …" button of the header (for deployers). */
  create: { label: string; title: string; onClick: () => void };
}

/** The nodes of the page of a {@link SelectableProjectListView}. */
export interface ItemPage {
  /** The page: the header, the status and error lines, the table, the detail. */
  node: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  /** Why the last action failed. */
  actionError: HTMLElement;
  table: HTMLTableElement;
  rows: HTMLTableSectionElement;
  create: HTMLButtonElement;
  /** The detail of the selected item. */
  detail: HTMLElement;
}

/** How {@link SelectableProjectListView.renderPage} shows the model now (translated). */
export interface ItemPageState extends ListStateTexts {
  /** Whether the "New …" button is shown. */
  canCreate: boolean;
  /** Its title (unless the project is archived: then it is disabled). */
  createTitle: string;
  /** Why the last action failed, or `null`. */
  actionError: string | null;
  /** The rows of the items. */
  rows: HTMLTableRowElement[];
}

/**
 * A view of a {@link SelectableProjectListModel}: a table of its items,
 * a row selecting its item, and a detail of the selected one with the
 * deployer's buttons.
 */
export abstract class SelectableProjectListView<
  M extends SelectableProjectListModel<{ name: string }, unknown, object>
> extends ProjectListView<M> {
  /** Build the page: a header with Refresh and "New …", status and error lines, the table, the detail. */
  protected buildPage(options: ItemPageOptions): ItemPage {
    const trans = this.trans;
    const { testid } = options;
    const status = el('div', { className: 'jp-ScaleLabPanel-muted', testid: `${testid}-status` });
    const error = errorLine(`${testid}-error`);
    const actionError = errorLine(`${testid}-action-error`);
    const rows = el('tbody');
    const table = el(
      'table',
      {
        className: 'jp-ScaleLabDeployments-table',
        testid,
        attrs: { 'aria-label': options.label }
      },
      el('thead', {}, el('tr', {}, ...options.columns)),
      rows
    );
    const detail = el('div', {
      className: 'jp-ScaleLabDeployments-detail',
      testid: options.detailTestid
    });
    const header = viewHeader(
      options.heading,
      () => {
        void this.model.reload();
      },
      { testid: `${testid}-refresh`, title: options.refreshTitle, label: trans.__('Refresh') }
    );
    const create = button(options.create.label, options.create.onClick, {
      testid: `${testid}-new`,
      title: options.create.title
    });
    header.append(create);
    const node = el(
      'section',
      { className: options.className, testid: `${testid}-view` },
      header,
      status,
      error,
      actionError,
      table,
      detail
    );
    return { node, status, error, actionError, table, rows, create, detail };
  }

  /** Show the load state, the "New …" button, the last action's error and the rows. */
  protected renderPage(page: ItemPage, state: ItemPageState): void {
    const model = this.model;
    page.node.hidden = model.project === null;
    this.renderListState({ status: page.status, error: page.error, list: page.table }, state);
    const archived = model.project?.archived === true;
    page.create.hidden = !state.canCreate;
    page.create.disabled = archived;
    page.create.title = archived ? this.trans.__('The project is archived') : state.createTitle;
    setError(page.actionError, state.actionError);
    page.rows.replaceChildren(...state.rows);
  }

  /**
   * The table row of item `name` (`data` its `data-*` attributes): marked
   * when selected; clicking it (or Enter or Space on it) selects the item.
   */
  protected itemRow(
    name: string,
    testid: string,
    data: Record<string, string>,
    ...cells: HTMLElement[]
  ): HTMLTableRowElement {
    const selected = name === this.model.selected;
    const row = el(
      'tr',
      {
        className: classes('jp-ScaleLabDeployments-row', { 'jp-mod-selected': selected }),
        testid,
        attrs: { ...data, 'aria-selected': String(selected), tabindex: '0' }
      },
      ...cells
    );
    onActivate(row, () => {
      this.model.select(name);
    });
    return row;
  }

  /** The deployer's buttons for item `name`; all disabled while it is busy. */
  protected itemActions(name: string, testid: string, actions: ItemAction[]): HTMLElement {
    const busy = this.model.isBusy(name);
    return el(
      'div',
      { className: 'jp-ScaleLabPanel-actions jp-ScaleLabDeployments-actions', testid },
      ...actions.map(action => {
        const node = button(
          action.label,
          () => {
            void action.run();
          },
          { testid: action.testid, title: action.title, warn: action.warn ?? false }
        );
        node.disabled = busy || !action.enabled;
        return node;
      })
    );
  }
}
