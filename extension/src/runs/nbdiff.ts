/**
 * A compact summary of an nbdime notebook diff: per changed cell, which
 * fields changed and the added/removed lines of its source and outputs.
 *
 * nbdime diffs are lists of entries `{op, key, ...}`:
 * - `patch` (`diff`: a nested diff of the item at `key`),
 * - `add` / `replace` (`value`), `remove`,
 * - `addrange` (`valuelist`, inserted before index `key`),
 * - `removerange` (`length` items from index `key`).
 * Strings such as a cell's source are diffed as lists of lines (and a
 * patched line as a list of characters). Keys are indices into the base.
 *
 * Pure: no DOM and no JupyterLab imports.
 */

/** One line of a summary. */
export interface DiffLine {
  /** `note` is neutral information, e.g. `image/png changed`. */
  kind: 'added' | 'removed' | 'note';
  text: string;
}

/** The fields of a cell the summary knows by name. */
export type CellField =
  | 'source'
  | 'outputs'
  | 'metadata'
  | 'execution_count'
  | (string & Record<never, never>);

/** One changed field of a cell. */
export interface FieldChange {
  field: CellField;
  /** Added/removed lines (source, outputs) or a short note. */
  lines: DiffLine[];
}

/** One changed cell. */
export interface CellChange {
  /** Index of the cell in the base notebook (for added cells: where). */
  index: number;
  change: 'added' | 'removed' | 'modified';
  /** e.g. `cell 3`, `cell 3 (added)`. */
  label: string;
  fields: FieldChange[];
}

/** A summary of a notebook diff. */
export interface NotebookDiffSummary {
  cells: CellChange[];
  /** Top-level notebook metadata keys that changed. */
  metadata: string[];
  /** Whether nothing changed at all. */
  empty: boolean;
}

interface DiffEntry {
  op: string;
  key: string | number;
  diff?: unknown;
  value?: unknown;
  valuelist?: unknown;
  length?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The well-formed entries of a diff list. */
function entries(diff: unknown): DiffEntry[] {
  if (!Array.isArray(diff)) {
    return [];
  }
  return diff.filter(
    (entry): entry is DiffEntry =>
      isRecord(entry) &&
      typeof entry.op === 'string' &&
      (typeof entry.key === 'string' || typeof entry.key === 'number')
  );
}

/** Sequence entries in index order; at one index removals come first. */
function sequenceEntries(diff: unknown): (DiffEntry & { key: number })[] {
  const rank = (op: string): number =>
    op === 'removerange' || op === 'remove' ? 0 : op === 'patch' || op === 'replace' ? 1 : 2;
  return entries(diff)
    .filter((e): e is DiffEntry & { key: number } => typeof e.key === 'number')
    .map((entry, i) => ({ entry, i }))
    .sort(
      (a, b) =>
        a.entry.key - b.entry.key ||
        rank(a.entry.op) - rank(b.entry.op) ||
        a.i - b.i
    )
    .map(({ entry }) => entry);
}

function rangeLength(entry: DiffEntry): number {
  return typeof entry.length === 'number' && entry.length > 0 ? entry.length : 1;
}

function valueList(entry: DiffEntry): unknown[] {
  if (Array.isArray(entry.valuelist)) {
    return entry.valuelist;
  }
  if (typeof entry.valuelist === 'string') {
    return Array.from(entry.valuelist);
  }
  return [];
}

/** A multiline string (or nbformat list of strings) as its text. */
function multiline(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.filter(v => typeof v === 'string').join('');
  }
  return '';
}

/** Lines with their line endings, like Python's `splitlines(True)`. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function stripEol(line: string): string {
  return line.replace(/\r?\n$/, '');
}

/** Apply a diff to a string (a list of characters). */
function patchString(base: string, diff: unknown): string {
  const chars = Array.from(base);
  let result = '';
  let taken = 0;
  for (const entry of sequenceEntries(diff)) {
    const key = Math.min(Math.max(entry.key, taken), chars.length);
    result += chars.slice(taken, key).join('');
    taken = key;
    switch (entry.op) {
      case 'addrange':
        result += valueList(entry).map(String).join('');
        break;
      case 'add':
        result += typeof entry.value === 'string' ? entry.value : '';
        break;
      case 'removerange':
      case 'remove':
        taken = Math.min(chars.length, key + rangeLength(entry));
        break;
      case 'replace':
        result += typeof entry.value === 'string' ? entry.value : '';
        taken = Math.min(chars.length, key + 1);
        break;
      default:
        break;
    }
  }
  return result + chars.slice(taken).join('');
}

/** Added/removed lines of a diff of a multiline string. */
export function stringDiffLines(base: unknown, diff: unknown): DiffLine[] {
  const lines = splitLines(multiline(base));
  const out: DiffLine[] = [];
  const removed = (text: string): void => {
    out.push({ kind: 'removed', text: stripEol(text) });
  };
  const added = (text: unknown): void => {
    for (const line of splitLines(multiline(text))) {
      out.push({ kind: 'added', text: stripEol(line) });
    }
  };
  for (const entry of sequenceEntries(diff)) {
    const key = entry.key;
    switch (entry.op) {
      case 'addrange':
        for (const line of valueList(entry)) {
          added(line);
        }
        break;
      case 'add':
        added(entry.value);
        break;
      case 'removerange':
      case 'remove': {
        const count = rangeLength(entry);
        const gone = lines.slice(key, key + count);
        gone.forEach(removed);
        if (gone.length < count) {
          out.push({ kind: 'note', text: `${count - gone.length} line(s) removed` });
        }
        break;
      }
      case 'patch': {
        const old = lines[key] ?? '';
        removed(old);
        added(patchString(old, entry.diff));
        break;
      }
      case 'replace':
        if (key < lines.length) {
          removed(lines[key]);
        }
        added(entry.value);
        break;
      default:
        break;
    }
  }
  return out;
}

/** Lines removed/added when a whole string is replaced. */
function replacedLines(base: unknown, value: unknown): DiffLine[] {
  return [
    ...splitLines(multiline(base)).map(
      (text): DiffLine => ({ kind: 'removed', text: stripEol(text) })
    ),
    ...splitLines(multiline(value)).map(
      (text): DiffLine => ({ kind: 'added', text: stripEol(text) })
    )
  ];
}

/** The text of an output: stream text, `text/plain`, an error, or `[mime]`. */
export function outputText(output: unknown): string {
  if (!isRecord(output)) {
    return '';
  }
  if (output.output_type === 'stream') {
    return multiline(output.text);
  }
  if (output.output_type === 'error') {
    return `${String(output.ename ?? 'Error')}: ${String(output.evalue ?? '')}`;
  }
  if (isRecord(output.data)) {
    if ('text/plain' in output.data) {
      return multiline(output.data['text/plain']);
    }
    const mimes = Object.keys(output.data);
    return mimes.length ? `[${mimes.join(', ')}]` : '';
  }
  return '';
}

function outputLines(output: unknown, kind: 'added' | 'removed'): DiffLine[] {
  const lines = splitLines(outputText(output));
  return lines.map(text => ({ kind, text: stripEol(text) }));
}

/** Lines of a patch of one output (stream text, data, error). */
function outputPatchLines(base: unknown, diff: unknown): DiffLine[] {
  const output = isRecord(base) ? base : {};
  const out: DiffLine[] = [];
  for (const entry of entries(diff)) {
    const key = String(entry.key);
    const old = output[key];
    if (key === 'text' || key === 'evalue') {
      if (entry.op === 'patch') {
        out.push(...stringDiffLines(old, entry.diff));
      } else {
        out.push(...replacedLines(old, entry.value));
      }
    } else if (key === 'data') {
      const data = isRecord(old) ? old : {};
      for (const mime of entries(entry.op === 'patch' ? entry.diff : [])) {
        const name = String(mime.key);
        if (name === 'text/plain') {
          out.push(
            ...(mime.op === 'patch'
              ? stringDiffLines(data[name], mime.diff)
              : replacedLines(data[name], mime.op === 'remove' ? '' : mime.value))
          );
        } else {
          const verb =
            mime.op === 'add' ? 'added' : mime.op === 'remove' ? 'removed' : 'changed';
          out.push({ kind: 'note', text: `${name} ${verb}` });
        }
      }
      if (entry.op !== 'patch') {
        out.push({ kind: 'note', text: 'data changed' });
      }
    } else if (key === 'traceback') {
      out.push({ kind: 'note', text: 'traceback changed' });
    } else if (key !== 'execution_count') {
      out.push({ kind: 'note', text: `${key} changed` });
    }
  }
  return out;
}

/** Added/removed lines of a diff of a cell's outputs list. */
export function outputsDiffLines(base: unknown, diff: unknown): DiffLine[] {
  const outputs = Array.isArray(base) ? base : [];
  const out: DiffLine[] = [];
  for (const entry of sequenceEntries(diff)) {
    const key = entry.key;
    switch (entry.op) {
      case 'addrange':
        for (const output of valueList(entry)) {
          out.push(...outputLines(output, 'added'));
        }
        break;
      case 'add':
        out.push(...outputLines(entry.value, 'added'));
        break;
      case 'removerange':
      case 'remove':
        for (const output of outputs.slice(key, key + rangeLength(entry))) {
          out.push(...outputLines(output, 'removed'));
        }
        break;
      case 'patch':
        out.push(...outputPatchLines(outputs[key], entry.diff));
        break;
      case 'replace':
        out.push(...outputLines(outputs[key], 'removed'));
        out.push(...outputLines(entry.value, 'added'));
        break;
      default:
        break;
    }
  }
  return out;
}

function describeValue(value: unknown): string {
  return value === undefined || value === null ? 'none' : JSON.stringify(value);
}

/** The changed fields of a cell patch. */
function cellFields(cell: unknown, diff: unknown): FieldChange[] {
  const base = isRecord(cell) ? cell : {};
  const fields: FieldChange[] = [];
  const field = (name: string): FieldChange => {
    let found = fields.find(f => f.field === name);
    if (!found) {
      found = { field: name, lines: [] };
      fields.push(found);
    }
    return found;
  };
  for (const entry of entries(diff)) {
    const key = String(entry.key);
    const old = base[key];
    if (key === 'source') {
      field(key).lines.push(
        ...(entry.op === 'patch'
          ? stringDiffLines(old, entry.diff)
          : replacedLines(old, entry.op === 'remove' ? '' : entry.value))
      );
    } else if (key === 'outputs') {
      if (entry.op === 'patch') {
        field(key).lines.push(...outputsDiffLines(old, entry.diff));
      } else {
        const before = Array.isArray(old) ? old : [];
        const after = entry.op === 'remove' || !Array.isArray(entry.value) ? [] : entry.value;
        field(key).lines.push(
          ...before.flatMap(o => outputLines(o, 'removed')),
          ...after.flatMap(o => outputLines(o, 'added'))
        );
      }
    } else if (key === 'execution_count') {
      const value = entry.op === 'remove' ? null : entry.value;
      field(key).lines.push({
        kind: 'note',
        text: `${describeValue(old)} → ${describeValue(value)}`
      });
    } else if (key === 'metadata') {
      const keys = entry.op === 'patch' ? entries(entry.diff).map(e => String(e.key)) : [];
      const f = field(key);
      if (keys.length) {
        f.lines.push({ kind: 'note', text: keys.join(', ') });
      }
    } else {
      field(key);
    }
  }
  return fields;
}

/** Fields of a whole added or removed cell. */
function wholeCell(cell: unknown, kind: 'added' | 'removed'): FieldChange[] {
  const c = isRecord(cell) ? cell : {};
  const fields: FieldChange[] = [];
  const source = splitLines(multiline(c.source)).map(
    (text): DiffLine => ({ kind, text: stripEol(text) })
  );
  if (source.length) {
    fields.push({ field: 'source', lines: source });
  }
  const outputs = (Array.isArray(c.outputs) ? c.outputs : []).flatMap(o =>
    outputLines(o, kind)
  );
  if (outputs.length) {
    fields.push({ field: 'outputs', lines: outputs });
  }
  return fields;
}

/**
 * Summarize nbdime's diff of two notebooks, given the base notebook (the
 * older run's output), for our compact diff view.
 */
export function summarizeNotebookDiff(
  baseNotebook: unknown,
  diff: unknown
): NotebookDiffSummary {
  const base = isRecord(baseNotebook) ? baseNotebook : {};
  const baseCells = Array.isArray(base.cells) ? base.cells : [];
  const cells: CellChange[] = [];
  const metadata: string[] = [];
  for (const top of entries(diff)) {
    if (top.key === 'metadata') {
      if (top.op === 'patch') {
        metadata.push(...entries(top.diff).map(e => String(e.key)));
      } else {
        metadata.push('metadata');
      }
      continue;
    }
    if (top.key !== 'cells' || top.op !== 'patch') {
      continue;
    }
    for (const entry of sequenceEntries(top.diff)) {
      const key = entry.key;
      switch (entry.op) {
        case 'addrange':
        case 'add': {
          const added = entry.op === 'add' ? [entry.value] : valueList(entry);
          for (const cell of added) {
            cells.push({
              index: key,
              change: 'added',
              label: `cell ${key} (added)`,
              fields: wholeCell(cell, 'added')
            });
          }
          break;
        }
        case 'removerange':
        case 'remove':
          for (let i = key; i < key + rangeLength(entry); i++) {
            cells.push({
              index: i,
              change: 'removed',
              label: `cell ${i} (removed)`,
              fields: wholeCell(baseCells[i], 'removed')
            });
          }
          break;
        case 'patch': {
          const fields = cellFields(baseCells[key], entry.diff);
          if (fields.length) {
            cells.push({ index: key, change: 'modified', label: `cell ${key}`, fields });
          }
          break;
        }
        case 'replace':
          cells.push({
            index: key,
            change: 'modified',
            label: `cell ${key}`,
            fields: [
              ...wholeCell(baseCells[key], 'removed'),
              ...wholeCell(entry.value, 'added')
            ]
          });
          break;
        default:
          break;
      }
    }
  }
  return { cells, metadata, empty: cells.length === 0 && metadata.length === 0 };
}
