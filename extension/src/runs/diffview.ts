import { type NotebookDiff } from './api';
import { el } from './dom';
import { type DiffLine, type NotebookDiffSummary, summarizeNotebookDiff } from './nbdiff';

const SIGNS: Record<DiffLine['kind'], string> = {
  added: '+ ',
  removed: '- ',
  note: '  '
};

function lineNode(line: DiffLine): HTMLElement {
  return el('div', {
    className: `jp-ScaleLabDiff-line jp-mod-${line.kind}`,
    text: SIGNS[line.kind] + line.text
  });
}

/** The DOM of a diff summary (cells, changed fields, added/removed lines). */
export function renderDiffSummary(summary: NotebookDiffSummary): HTMLElement {
  const root = el('div', { className: 'jp-ScaleLabDiff-cells' });
  if (summary.empty) {
    root.append(
      el('div', {
        className: 'jp-ScaleLabDiff-empty',
        testid: 'scalelab-diff-empty',
        text: 'No differences.'
      })
    );
    return root;
  }
  if (summary.metadata.length) {
    root.append(
      el('div', {
        className: 'jp-ScaleLabDiff-metadata',
        text: `Notebook metadata changed: ${summary.metadata.join(', ')}`
      })
    );
  }
  for (const cell of summary.cells) {
    const section = el(
      'section',
      {
        className: `jp-ScaleLabDiff-cell jp-mod-${cell.change}`,
        testid: 'scalelab-diff-cell',
        attrs: { 'data-index': String(cell.index) }
      },
      el(
        'div',
        { className: 'jp-ScaleLabDiff-cellHeader' },
        el('span', { className: 'jp-ScaleLabDiff-cellLabel', text: cell.label }),
        el('span', {
          className: 'jp-ScaleLabDiff-fields',
          text: cell.fields.map(f => f.field).join(' · ')
        })
      )
    );
    for (const field of cell.fields) {
      if (field.lines.length === 0) {
        continue;
      }
      section.append(
        el(
          'div',
          { className: 'jp-ScaleLabDiff-field', attrs: { 'data-field': field.field } },
          el('div', { className: 'jp-ScaleLabDiff-fieldName', text: field.field }),
          el('div', { className: 'jp-ScaleLabDiff-lines' }, ...field.lines.map(lineNode))
        )
      );
    }
    root.append(section);
  }
  return root;
}

/** The whole diff view: a header and the summary of `diff`. */
export function renderNotebookDiff(diff: NotebookDiff): HTMLElement {
  const summary = summarizeNotebookDiff(diff.base_notebook, diff.diff);
  const changed = summary.cells.length;
  return el(
    'div',
    { className: 'jp-ScaleLabDiff-body' },
    el('div', {
      className: 'jp-ScaleLabDiff-header',
      text:
        `Step ${diff.step}: run ${diff.base} → run ${diff.remote}` +
        (summary.empty ? '' : ` · ${changed} cell${changed === 1 ? '' : 's'} changed`)
    }),
    renderDiffSummary(summary)
  );
}
