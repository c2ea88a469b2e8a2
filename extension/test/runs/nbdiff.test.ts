import { describe, expect, it } from 'vitest';

import {
  outputText,
  splitLines,
  stringDiffLines,
  summarizeNotebookDiff
} from '../src/nbdiff';

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

/** A hand-made nbdime diff of BASE against a newer run. */
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
            key: 'source',
            diff: [
              { op: 'addrange', key: 0, valuelist: ['epochs = 5\n'] },
              { op: 'removerange', key: 0, length: 1 }
            ]
          },
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
                    key: 'text',
                    diff: [
                      { op: 'addrange', key: 0, valuelist: ['5\n'] },
                      { op: 'removerange', key: 0, length: 1 }
                    ]
                  }
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
            key: 'source',
            diff: [
              {
                op: 'patch',
                key: 0,
                diff: [
                  { op: 'removerange', key: 4, length: 1 },
                  { op: 'addrange', key: 4, valuelist: '2' }
                ]
              }
            ]
          },
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
                      { op: 'replace', key: 'text/plain', value: '2' },
                      { op: 'replace', key: 'image/png', value: 'BBBB' }
                    ]
                  }
                ]
              },
              {
                op: 'addrange',
                key: 1,
                valuelist: [
                  { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: [] }
                ]
              }
            ]
          },
          { op: 'patch', key: 'metadata', diff: [{ op: 'add', key: 'tags', value: ['x'] }] }
        ]
      },
      { op: 'removerange', key: 2, length: 1 },
      {
        op: 'addrange',
        key: 3,
        valuelist: [{ cell_type: 'markdown', source: '# New\ntext', metadata: {} }]
      }
    ]
  },
  {
    op: 'patch',
    key: 'metadata',
    diff: [{ op: 'replace', key: 'kernelspec', value: { name: 'py' } }]
  }
];

describe('summarizeNotebookDiff()', () => {
  const summary = summarizeNotebookDiff(BASE, DIFF);

  it('lists the changed cells and notebook metadata', () => {
    expect(summary.empty).toBe(false);
    expect(summary.metadata).toEqual(['kernelspec']);
    expect(summary.cells.map(c => [c.label, c.change])).toEqual([
      ['cell 0', 'modified'],
      ['cell 1', 'modified'],
      ['cell 2 (removed)', 'removed'],
      ['cell 3 (added)', 'added']
    ]);
  });

  it('names the changed fields with removed lines before added ones', () => {
    const [first, second] = summary.cells;
    expect(first.fields.map(f => f.field)).toEqual([
      'execution_count',
      'source',
      'outputs'
    ]);
    expect(first.fields[0].lines).toEqual([{ kind: 'note', text: '1 → 5' }]);
    expect(first.fields[1].lines).toEqual([
      { kind: 'removed', text: 'epochs = 3' },
      { kind: 'added', text: 'epochs = 5' }
    ]);
    expect(first.fields[2].lines).toEqual([
      { kind: 'removed', text: '3' },
      { kind: 'added', text: '5' }
    ]);

    expect(second.fields.map(f => f.field)).toEqual(['source', 'outputs', 'metadata']);
    // A line patched character by character: the old line and the new one.
    expect(second.fields[0].lines).toEqual([
      { kind: 'removed', text: 'x = 1' },
      { kind: 'added', text: 'x = 2' }
    ]);
    expect(second.fields[1].lines).toEqual([
      { kind: 'removed', text: '1' },
      { kind: 'added', text: '2' },
      { kind: 'note', text: 'image/png changed' },
      { kind: 'added', text: 'ValueError: bad' }
    ]);
    expect(second.fields[2].lines).toEqual([{ kind: 'note', text: 'tags' }]);
  });

  it('shows whole removed and added cells', () => {
    const [, , removed, added] = summary.cells;
    expect(removed.fields).toEqual([
      { field: 'source', lines: [{ kind: 'removed', text: '# Old heading' }] }
    ]);
    expect(added.fields).toEqual([
      {
        field: 'source',
        lines: [
          { kind: 'added', text: '# New' },
          { kind: 'added', text: 'text' }
        ]
      }
    ]);
  });

  it('is empty for an empty diff and tolerates junk', () => {
    expect(summarizeNotebookDiff(BASE, [])).toEqual({ cells: [], metadata: [], empty: true });
    expect(summarizeNotebookDiff(null, [null, 3, { op: 'patch' }])).toEqual({
      cells: [],
      metadata: [],
      empty: true
    });
    // Without a base notebook, removed ranges still show up as cells.
    const noBase = summarizeNotebookDiff(undefined, [
      { op: 'patch', key: 'cells', diff: [{ op: 'removerange', key: 0, length: 2 }] }
    ]);
    expect(noBase.cells.map(c => c.label)).toEqual(['cell 0 (removed)', 'cell 1 (removed)']);
  });
});

/** What nbdime 4 answers for a similar change (execution count, a line
 * patched character by character, a stream replaced, a text/plain patch). */
const REAL_DIFF = [
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

describe('summarizeNotebookDiff() on nbdime output', () => {
  it('shows the old and new lines', () => {
    const summary = summarizeNotebookDiff(BASE, REAL_DIFF);
    expect(summary.metadata).toEqual([]);
    expect(summary.cells).toEqual([
      {
        index: 0,
        change: 'modified',
        label: 'cell 0',
        fields: [
          { field: 'execution_count', lines: [{ kind: 'note', text: '1 → 5' }] },
          {
            field: 'outputs',
            lines: [
              { kind: 'removed', text: '3' },
              { kind: 'added', text: '5' }
            ]
          },
          {
            field: 'source',
            lines: [
              { kind: 'removed', text: 'epochs = 3' },
              { kind: 'added', text: 'epochs = 5' }
            ]
          }
        ]
      },
      {
        index: 1,
        change: 'modified',
        label: 'cell 1',
        fields: [
          {
            field: 'outputs',
            lines: [
              { kind: 'removed', text: '1' },
              { kind: 'added', text: '2' }
            ]
          }
        ]
      }
    ]);
  });
});

describe('diff helpers', () => {
  it('splitLines() keeps line endings like splitlines(True)', () => {
    expect(splitLines('a\nb')).toEqual(['a\n', 'b']);
    expect(splitLines('a\n')).toEqual(['a\n']);
    expect(splitLines('')).toEqual([]);
  });

  it('stringDiffLines() reads removed lines from the base', () => {
    expect(
      stringDiffLines('a\nb\nc\n', [
        { op: 'removerange', key: 1, length: 2 },
        { op: 'addrange', key: 3, valuelist: ['d\n'] }
      ])
    ).toEqual([
      { kind: 'removed', text: 'b' },
      { kind: 'removed', text: 'c' },
      { kind: 'added', text: 'd' }
    ]);
  });

  it('outputText() reads streams, results and errors', () => {
    expect(outputText({ output_type: 'stream', text: ['a\n', 'b'] })).toBe('a\nb');
    expect(outputText({ output_type: 'display_data', data: { 'image/png': 'x' } })).toBe(
      '[image/png]'
    );
    expect(outputText({ output_type: 'error', ename: 'E', evalue: 'v' })).toBe('E: v');
    expect(outputText(null)).toBe('');
  });
});
