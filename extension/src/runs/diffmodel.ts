import type * as nbformat from '@jupyterlab/nbformat';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';

import { type NotebookDiff } from '../common/api';
import { plainTrans, type TranslationBundle } from '../common/trans';

/**
 * nbdime's model of a run diff (`GET …/runs/{id}/diff`): the base run's
 * output notebook and nbdime's diff of it against the newer run's.
 */
export function notebookDiffModel(
  diff: NotebookDiff,
  trans: TranslationBundle = plainTrans
): NotebookDiffModel {
  const base = diff.base_notebook as { cells?: unknown };
  if (typeof base !== 'object' || base === null || !Array.isArray(base.cells)) {
    throw new Error(trans.__('The diff has no base notebook'));
  }
  const model = new NotebookDiffModel(
    base as unknown as nbformat.INotebookContent,
    diff.diff as unknown as IDiffEntry[]
  );
  if (model.metadata) {
    model.metadata.collapsibleHeader = trans.__('Notebook metadata changed');
  }
  return model;
}

/** The number of cells that were added, removed or changed. */
export function changedCellCount(model: NotebookDiffModel): number {
  return model.cells.filter(cell => !cell.unchanged).length;
}

/** The heading of a diff: step, runs and how much changed. */
export function diffHeading(
  diff: NotebookDiff,
  model: NotebookDiffModel | null,
  trans: TranslationBundle = plainTrans
): string {
  const title = trans.__('Step %1: run %2 → run %3', diff.step, diff.base, diff.remote);
  if (model === null) {
    return title;
  }
  const changed = changedCellCount(model);
  if (changed === 0 && model.metadata === null) {
    return `${title} · ${trans.__('no differences')}`;
  }
  if (changed === 0) {
    return `${title} · ${trans.__('notebook metadata changed')}`;
  }
  return `${title} · ${trans._n('%1 cell changed', '%1 cells changed', changed)}`;
}

/**
 * Where to say how many unchanged cells are hidden (when they are): for
 * cells in order, `true` when unchanged. `before` marks a shown cell after
 * hidden ones, `after` the last shown cell when the notebook ends with
 * hidden ones, `all` when every cell is hidden. As nbdime's lab extension.
 */
export interface HiddenCellMarks {
  before: Array<{ index: number; count: number }>;
  after: { index: number; count: number } | null;
  all: number | null;
}

export function hiddenCellMarks(unchanged: readonly boolean[]): HiddenCellMarks {
  const marks: HiddenCellMarks = { before: [], after: null, all: null };
  let start = -1;
  unchanged.forEach((hidden, index) => {
    if (!hidden) {
      if (start !== -1) {
        marks.before.push({ index, count: index - start });
        start = -1;
      }
    } else if (start === -1) {
      start = index;
    }
  });
  if (start === 0) {
    marks.all = unchanged.length;
  } else if (start !== -1) {
    marks.after = { index: start - 1, count: unchanged.length - start };
  }
  return marks;
}
