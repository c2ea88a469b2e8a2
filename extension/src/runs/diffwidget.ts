import { type CodeEditor } from '@jupyterlab/codeeditor';
import { type IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { type ITranslator } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';
import { CELLDIFF_CLASS, NotebookDiffWidget } from 'nbdime/lib/diff/widget';
import { CHUNK_PANEL_CLASS, UNCHANGED_DIFF_CLASS } from 'nbdime/lib/diff/widget/common';

import { type NotebookDiff } from '../common/api';
import { el } from '../common/dom';
import { errorMessage } from '../common/helpers';
import { plainTrans, type TranslationBundle } from '../common/trans';
import { diffHeading, hiddenCellMarks, notebookDiffModel } from './diffmodel';

/** The class of the scroller while unchanged cells are hidden. */
const HIDE_UNCHANGED_CLASS = 'jp-mod-hideUnchanged';

/** Options of a {@link RunDiffView}. */
export interface RunDiffViewOptions {
  /** Renders the outputs and markdown of the cells. */
  rendermime: IRenderMimeRegistry;
  /** The editors of the sources; nbdime makes CodeMirror ones without. */
  editorFactory?: CodeEditor.Factory;
  /** Passed on to nbdime's widgets. */
  translator?: ITranslator;
  trans?: TranslationBundle;
}

/**
 * A diff of a step of two runs, rendered by nbdime's notebook diff widget:
 * a heading, the two runs side by side, and a switch to hide unchanged cells
 * (on by default, as in nbdime's own lab extension).
 */
export class RunDiffView extends Panel {
  constructor(options: RunDiffViewOptions) {
    super();
    this._options = options;
    this._trans = options.trans ?? plainTrans;
    this.addClass('jp-ScaleLabDiff');

    this._heading = el('div', { className: 'jp-ScaleLabDiff-heading' });
    this._baseLabel = el('span', { className: 'jp-ScaleLabDiff-base' });
    this._remoteLabel = el('span', { className: 'jp-ScaleLabDiff-remote' });
    this._hideUnchanged = el('input', {
      testid: 'scalelab-diff-hide-unchanged',
      attrs: { type: 'checkbox' }
    });
    this._hideUnchanged.checked = true;
    this._hideUnchanged.addEventListener('change', () => this._applyHideUnchanged());
    const header = new Widget({
      node: el(
        'div',
        { className: 'jp-ScaleLabDiff-header' },
        el(
          'div',
          { className: 'jp-ScaleLabDiff-headerRow' },
          this._heading,
          el(
            'label',
            { className: 'jp-ScaleLabDiff-toggle' },
            this._hideUnchanged,
            this._trans.__('Hide unchanged cells')
          )
        ),
        el('div', { className: 'jp-ScaleLabDiff-banner' }, this._baseLabel, this._remoteLabel)
      )
    });
    this.addWidget(header);

    this._scroller = new Panel();
    this._scroller.addClass('jp-ScaleLabDiff-scroller');
    this._scroller.node.tabIndex = -1;
    this.addWidget(this._scroller);
    this._applyHideUnchanged();
  }

  /** Show `diff` (replacing what was shown); resolves once it is rendered. */
  async setDiff(diff: NotebookDiff): Promise<void> {
    const trans = this._trans;
    for (const widget of [...this._scroller.widgets]) {
      widget.dispose();
    }
    this._baseLabel.textContent = trans.__('run %1 (older)', diff.base);
    this._remoteLabel.textContent = trans.__('run %1 (newer)', diff.remote);
    let widget: NotebookDiffWidget;
    try {
      const model = notebookDiffModel(diff, trans);
      this._heading.textContent = diffHeading(diff, model, trans);
      widget = new NotebookDiffWidget({
        model,
        rendermime: this._options.rendermime,
        editorFactory: this._options.editorFactory,
        translator: this._options.translator
      });
      this._scroller.addWidget(widget);
      await widget.init();
    } catch (err) {
      this._heading.textContent = diffHeading(diff, null, trans);
      const message = new Widget({
        node: el('div', {
          className: 'jp-ScaleLabDiff-error',
          text: trans.__('Could not show the diff: %1', errorMessage(err))
        })
      });
      this._scroller.addWidget(message);
      return;
    }
    if (!widget.isDisposed) {
      markHiddenCells(this._scroller.node);
    }
  }

  /** Handle `'activate-request'`: focus the diff, so that it scrolls by keys. */
  protected onActivateRequest(): void {
    this._scroller.node.focus();
  }

  private _applyHideUnchanged(): void {
    this._scroller.toggleClass(HIDE_UNCHANGED_CLASS, this._hideUnchanged.checked);
  }

  private readonly _options: RunDiffViewOptions;
  private readonly _trans: TranslationBundle;
  private readonly _heading: HTMLElement;
  private readonly _baseLabel: HTMLElement;
  private readonly _remoteLabel: HTMLElement;
  private readonly _hideUnchanged: HTMLInputElement;
  private readonly _scroller: Panel;
}

/** An added/removed cell's chunk (shown side by side), or the cell itself. */
function chunkOf(cell: Element): Element {
  const chunk = cell.parentElement?.parentElement;
  return chunk?.classList.contains(CHUNK_PANEL_CLASS) ? chunk : cell;
}

/** Mark where unchanged cells are hidden, for the CSS to say how many. */
function markHiddenCells(root: HTMLElement): void {
  const cells = Array.from(root.querySelectorAll(`.${CELLDIFF_CLASS}`));
  const marks = hiddenCellMarks(cells.map(cell => cell.classList.contains(UNCHANGED_DIFF_CLASS)));
  for (const { index, count } of marks.before) {
    chunkOf(cells[index]).setAttribute('data-scalelab-hidden-before', String(count));
  }
  if (marks.after) {
    chunkOf(cells[marks.after.index]).setAttribute(
      'data-scalelab-hidden-after',
      String(marks.after.count)
    );
  }
  if (marks.all !== null) {
    const notebook = root.querySelector('.jp-Notebook-diff') ?? root;
    notebook.setAttribute('data-scalelab-hidden-all', String(marks.all));
  }
}
