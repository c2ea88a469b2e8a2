import { describe, expect, it } from 'vitest';

import { type NotebookDiff } from '../../src/common/api';
import {
  changedCellCount,
  diffHeading,
  hiddenCellMarks,
  notebookDiffModel
} from '../../src/runs/diffmodel';

const BASE = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3' } },
  cells: [
    {
      cell_type: 'code',
      source: 'epochs = 3\nlr = 0.1\nprint(epochs)',
      execution_count: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: '3\n' }],
      metadata: {}
    },
    {
      cell_type: 'code',
      source: ['x = 1\n', 'x'],
      execution_count: 2,
      outputs: [
        {
          output_type: 'execute_result',
          execution_count: 2,
          data: { 'text/plain': '1', 'image/png': 'AAAA' },
          metadata: {}
        }
      ],
      metadata: {}
    },
    { cell_type: 'markdown', source: '# Old heading', metadata: {} }
  ]
};

/** nbdime's diff of BASE against a newer run (epochs 3 → 5, x 1 → 2). */
const DIFF = [
  {
    op: 'patch',
    key: 'cells',
    diff: [
      {
        op: 'patch',
        key: 0,
        diff: [
          { op: 'replace', key: 'execution_count', value: 5 },
          {
            op: 'patch',
            key: 'outputs',
            diff: [
              {
                op: 'addrange',
                key: 0,
                valuelist: [{ output_type: 'stream', name: 'stdout', text: '5\n' }]
              },
              { op: 'removerange', key: 0, length: 1 }
            ]
          },
          {
            op: 'patch',
            key: 'source',
            diff: [
              {
                op: 'patch',
                key: 0,
                diff: [
                  { op: 'addrange', key: 9, valuelist: '5' },
                  { op: 'removerange', key: 9, length: 1 }
                ]
              }
            ]
          }
        ]
      },
      {
        op: 'patch',
        key: 1,
        diff: [
          {
            op: 'patch',
            key: 'outputs',
            diff: [
              {
                op: 'patch',
                key: 0,
                diff: [
                  {
                    op: 'patch',
                    key: 'data',
                    diff: [
                      {
                        op: 'patch',
                        key: 'text/plain',
                        diff: [
                          { op: 'addrange', key: 0, valuelist: ['2'] },
                          { op: 'removerange', key: 0, length: 1 }
                        ]
                      }
                    ]
                  }
                ]
              }
            ]
          }
        ]
      }
    ]
  }
];

/** The service's answer to `GET …/runs/r2/diff?other=r1&step=main`. */
function response(diff: unknown[] = DIFF, base: unknown = BASE): NotebookDiff {
  return {
    base: 'r1',
    remote: 'r2',
    step: 'main',
    base_notebook: base as NotebookDiff['base_notebook'],
    diff: diff as NotebookDiff['diff']
  };
}

describe('notebookDiffModel()', () => {
  it("builds nbdime's model from the service's response", () => {
    const model = notebookDiffModel(response());
    expect(model.cells).toHaveLength(3);
    expect(model.metadata).toBeNull();
    const [first, second, third] = model.cells;
    expect(first.unchanged).toBe(false);
    expect(first.source.base).toBe('epochs = 3\nlr = 0.1\nprint(epochs)');
    expect(first.source.remote).toBe('epochs = 5\nlr = 0.1\nprint(epochs)');
    expect(first.outputs?.map(o => [o.base?.text, o.remote?.text])).toEqual([
      [undefined, '5\n'],
      ['3\n', undefined]
    ]);
    expect(second.unchanged).toBe(false);
    expect(third.unchanged).toBe(true);
    expect(changedCellCount(model)).toBe(2);
  });

  it('shows a change of the notebook metadata under a heading', () => {
    const model = notebookDiffModel(
      response([
        { op: 'patch', key: 'metadata', diff: [{ op: 'add', key: 'papermill', value: {} }] }
      ])
    );
    expect(model.metadata?.collapsibleHeader).toBe('Notebook metadata changed');
    expect(changedCellCount(model)).toBe(0);
  });

  it('refuses a response without a base notebook', () => {
    expect(() => notebookDiffModel(response([], {}))).toThrow('no base notebook');
    expect(() => notebookDiffModel(response([], null))).toThrow('no base notebook');
  });
});

describe('diffHeading()', () => {
  it('names the step and the runs, and says how much changed', () => {
    expect(diffHeading(response(), null)).toBe('Step main: run r1 → run r2');
    expect(diffHeading(response(), notebookDiffModel(response()))).toBe(
      'Step main: run r1 → run r2 · 2 cells changed'
    );
    expect(diffHeading(response([]), notebookDiffModel(response([])))).toBe(
      'Step main: run r1 → run r2 · no differences'
    );
    const metadataOnly = response([
      { op: 'patch', key: 'metadata', diff: [{ op: 'remove', key: 'kernelspec' }] }
    ]);
    expect(diffHeading(metadataOnly, notebookDiffModel(metadataOnly))).toBe(
      'Step main: run r1 → run r2 · notebook metadata changed'
    );
  });
});

describe('hiddenCellMarks()', () => {
  it('marks the shown cell after each stretch of hidden ones', () => {
    expect(hiddenCellMarks([true, true, false, false, true, false])).toEqual({
      before: [
        { index: 2, count: 2 },
        { index: 5, count: 1 }
      ],
      after: null,
      all: null
    });
  });

  it('marks the last shown cell when the notebook ends with hidden ones', () => {
    expect(hiddenCellMarks([false, true, true])).toEqual({
      before: [],
      after: { index: 0, count: 2 },
      all: null
    });
  });

  it('says when every cell is hidden, and nothing when none is', () => {
    expect(hiddenCellMarks([true, true])).toEqual({ before: [], after: null, all: 2 });
    expect(hiddenCellMarks([false, false])).toEqual({ before: [], after: null, all: null });
    expect(hiddenCellMarks([])).toEqual({ before: [], after: null, all: null });
  });
});
