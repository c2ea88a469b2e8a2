/**
 * A small parser for Python literals as written in notebooks
 * (`'a'`, `"b"`, `1_000`, `-0.5`, `True`, `None`, `[1, 'x']`, `{'k': (1, 2)}`).
 *
 * JSON spellings (`true`, `false`, `null`) are accepted too, so the same
 * parser reads what users type into the run form. Tuples and sets become
 * arrays; dict keys become strings.
 *
 * Pure: no DOM and no JupyterLab imports.
 */

/** A literal could not be parsed. */
export class LiteralError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiteralError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

const NAMES: Record<string, unknown> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null
};

const ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '0': '\0'
};

const NUMBER = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?/;

class Parser {
  constructor(private readonly text: string) {}

  pos = 0;

  parseAll(): unknown {
    const value = this.value();
    this.space();
    if (this.pos < this.text.length) {
      this.fail(`unexpected ${JSON.stringify(this.text[this.pos])}`);
    }
    return value;
  }

  private fail(message: string): never {
    throw new LiteralError(`${message} at position ${this.pos}`);
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) {
      this.pos++;
    }
  }

  private peek(): string {
    this.space();
    return this.text[this.pos] ?? '';
  }

  private expect(char: string): void {
    if (this.peek() !== char) {
      this.fail(`expected ${JSON.stringify(char)}`);
    }
    this.pos++;
  }

  private value(): unknown {
    const char = this.peek();
    if (char === '') {
      this.fail('unexpected end');
    }
    if (char === '[') {
      return this.sequence('[', ']');
    }
    if (char === '(') {
      return this.sequence('(', ')');
    }
    if (char === '{') {
      return this.dict();
    }
    const rest = this.text.slice(this.pos);
    const prefixed = /^([rRuUbB]{0,2})(['"])/.exec(rest);
    if (prefixed) {
      // Adjacent string literals are concatenated, as in Python.
      let result = this.string();
      while (/^[rRuUbB]{0,2}['"]/.test(this.text.slice(this.pos).trimStart())) {
        this.space();
        result += this.string();
      }
      return result;
    }
    const name = /^[A-Za-z_]\w*/.exec(rest);
    if (name) {
      if (!(name[0] in NAMES)) {
        this.fail(`unknown name ${name[0]}`);
      }
      this.pos += name[0].length;
      return NAMES[name[0]];
    }
    const number = NUMBER.exec(rest);
    if (number && number[0] !== '+' && number[0] !== '-') {
      this.pos += number[0].length;
      const value = Number(number[0].replace(/_/g, ''));
      if (!Number.isFinite(value)) {
        this.fail('number out of range');
      }
      return value;
    }
    return this.fail(`unexpected ${JSON.stringify(char)}`);
  }

  private sequence(open: string, close: string): unknown[] {
    this.expect(open);
    const items: unknown[] = [];
    while (this.peek() !== close) {
      items.push(this.value());
      if (this.peek() === ',') {
        this.pos++;
      } else if (this.peek() !== close) {
        this.fail(`expected "," or ${JSON.stringify(close)}`);
      }
    }
    this.pos++;
    return items;
  }

  private dict(): Record<string, unknown> | unknown[] {
    this.expect('{');
    const result: Record<string, unknown> = {};
    const set: unknown[] = [];
    let isSet = false;
    let first = true;
    while (this.peek() !== '}') {
      const key = this.value();
      if (first && (this.peek() === ',' || this.peek() === '}')) {
        isSet = true;
      }
      first = false;
      if (isSet) {
        set.push(key);
      } else {
        this.expect(':');
        const value = this.value();
        result[typeof key === 'string' ? key : JSON.stringify(key)] = value;
      }
      if (this.peek() === ',') {
        this.pos++;
      } else if (this.peek() !== '}') {
        this.fail('expected "," or "}"');
      }
    }
    this.pos++;
    return isSet ? set : result;
  }

  private string(): string {
    const match = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(
      this.text.slice(this.pos)
    );
    if (!match) {
      return this.fail('expected a string');
    }
    const raw = /r/i.test(match[1]);
    const quote = match[2];
    this.pos += match[0].length;
    let result = '';
    for (;;) {
      if (this.pos >= this.text.length) {
        this.fail('unterminated string');
      }
      if (this.text.startsWith(quote, this.pos)) {
        this.pos += quote.length;
        return result;
      }
      const char = this.text[this.pos];
      if (char === '\n' && quote.length === 1) {
        this.fail('unterminated string');
      }
      if (char !== '\\') {
        result += char;
        this.pos++;
        continue;
      }
      const next = this.text[this.pos + 1] ?? '';
      if (raw) {
        result += char + next;
        this.pos += 2;
        continue;
      }
      if (next in ESCAPES) {
        result += ESCAPES[next];
        this.pos += 2;
        continue;
      }
      const hex = { x: 2, u: 4, U: 8 }[next];
      if (hex !== undefined) {
        const digits = this.text.slice(this.pos + 2, this.pos + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) {
          this.fail('bad escape');
        }
        result += String.fromCodePoint(parseInt(digits, 16));
        this.pos += 2 + hex;
        continue;
      }
      // Unknown escapes are kept as written, as Python does.
      result += char + next;
      this.pos += 2;
    }
  }
}

/**
 * Parse a Python (or JSON) literal into a JSON-compatible value.
 *
 * Throws {@link LiteralError} for anything else (names, calls, operators).
 */
export function parsePythonLiteral(text: string): unknown {
  return new Parser(text).parseAll();
}
