/**
 * A small stand-in for the browser's DOM, enough for the extension's views
 * (built with `common/dom.ts`) to render in vitest's Node environment:
 * elements with attributes, `dataset`, `classList`, text, children, events
 * that bubble, and `querySelector(All)` for simple selectors (tag, `.class`,
 * `#id`, `[attr]`, `[attr="value"]`, descendants, `,` lists).
 *
 * `installFakeDom()` sets `globalThis.document`; its result removes it.
 */

type Listener = (event: FakeEvent) => void;

/** An event as the views use it. */
export class FakeEvent {
  constructor(type: string, init: { key?: string } = {}) {
    this.type = type;
    this.key = init.key;
  }
  readonly type: string;
  readonly key?: string;
  target: FakeElement | null = null;
  currentTarget: FakeElement | null = null;
  defaultPrevented = false;
  propagationStopped = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
  stopPropagation(): void {
    this.propagationStopped = true;
  }
}

class FakeText {
  constructor(text: string) {
    this.data = text;
  }
  data: string;
  parentNode: FakeElement | null = null;
  get textContent(): string {
    return this.data;
  }
}

type FakeChild = FakeElement | FakeText;

function dataAttribute(key: string): string {
  return 'data-' + key.replace(/[A-Z]/g, c => '-' + c.toLowerCase());
}

/** Properties reflected as attributes (strings). */
const STRING_ATTRIBUTES = [
  'id',
  'title',
  'type',
  'name',
  'href',
  'target',
  'rel',
  'placeholder',
  'autocomplete',
  'role'
];
/** Properties reflected as boolean attributes. */
const BOOLEAN_ATTRIBUTES = ['hidden', 'disabled', 'open', 'required'];

export class FakeElement {
  constructor(tagName: string, ownerDocument: FakeDocument) {
    this.tagName = tagName.toUpperCase();
    this.localName = tagName.toLowerCase();
    this.ownerDocument = ownerDocument;
    for (const name of STRING_ATTRIBUTES) {
      Object.defineProperty(this, name, {
        get: () => this.getAttribute(name) ?? '',
        set: (value: unknown) => this.setAttribute(name, String(value)),
        configurable: true
      });
    }
    for (const name of BOOLEAN_ATTRIBUTES) {
      Object.defineProperty(this, name, {
        get: () => this.hasAttribute(name),
        set: (value: unknown) => this.toggleAttribute(name, Boolean(value)),
        configurable: true
      });
    }
    this.dataset = new Proxy({} as Record<string, string>, {
      get: (target, key) =>
        typeof key === 'string' ? (this.getAttribute(dataAttribute(key)) ?? undefined) : undefined,
      set: (target, key, value) => {
        this.setAttribute(dataAttribute(String(key)), String(value));
        return true;
      },
      deleteProperty: (target, key) => {
        this.removeAttribute(dataAttribute(String(key)));
        return true;
      }
    });
  }

  readonly tagName: string;
  readonly localName: string;
  readonly ownerDocument: FakeDocument;
  readonly dataset: Record<string, string>;
  parentNode: FakeElement | null = null;
  childNodes: FakeChild[] = [];
  /** Form state, not reflected (as in browsers once edited). */
  value = '';
  checked = false;
  spellcheck = true;
  rows = 0;
  step = '';

  get parentElement(): FakeElement | null {
    return this.parentNode;
  }

  get children(): FakeElement[] {
    return this.childNodes.filter((n): n is FakeElement => n instanceof FakeElement);
  }

  get className(): string {
    return this.getAttribute('class') ?? '';
  }
  set className(value: string) {
    this.setAttribute('class', value);
  }

  get classList() {
    const list = () => this.className.split(/\s+/).filter(Boolean);
    const write = (names: string[]) => {
      this.className = names.join(' ');
    };
    return {
      contains: (name: string) => list().includes(name),
      add: (...names: string[]) => write([...new Set([...list(), ...names])]),
      remove: (...names: string[]) => write(list().filter(n => !names.includes(n))),
      toggle: (name: string, force?: boolean) => {
        const on = force ?? !list().includes(name);
        write(on ? [...new Set([...list(), name])] : list().filter(n => n !== name));
        return on;
      }
    };
  }

  get textContent(): string {
    return this.childNodes.map(n => n.textContent).join('');
  }
  set textContent(text: string | null) {
    this.replaceChildren(...(text ? [text] : []));
  }

  getAttribute(name: string): string | null {
    return this._attributes.get(name.toLowerCase()) ?? null;
  }
  setAttribute(name: string, value: string): void {
    this._attributes.set(name.toLowerCase(), String(value));
  }
  hasAttribute(name: string): boolean {
    return this._attributes.has(name.toLowerCase());
  }
  removeAttribute(name: string): void {
    this._attributes.delete(name.toLowerCase());
  }
  toggleAttribute(name: string, force?: boolean): boolean {
    const on = force ?? !this.hasAttribute(name);
    if (on) {
      this.setAttribute(name, '');
    } else {
      this.removeAttribute(name);
    }
    return on;
  }

  append(...nodes: (FakeChild | string)[]): void {
    for (const node of nodes) {
      const child = typeof node === 'string' ? new FakeText(node) : node;
      if (child.parentNode) {
        child.parentNode.childNodes = child.parentNode.childNodes.filter(n => n !== child);
      }
      child.parentNode = this;
      this.childNodes.push(child);
    }
  }
  appendChild<T extends FakeChild>(node: T): T {
    this.append(node);
    return node;
  }
  replaceChildren(...nodes: (FakeChild | string)[]): void {
    for (const child of this.childNodes) {
      child.parentNode = null;
    }
    this.childNodes = [];
    this.append(...nodes);
  }
  remove(): void {
    if (this.parentNode) {
      this.parentNode.childNodes = this.parentNode.childNodes.filter(n => n !== this);
      this.parentNode = null;
    }
  }

  addEventListener(type: string, listener: Listener): void {
    const listeners = this._listeners.get(type) ?? [];
    listeners.push(listener);
    this._listeners.set(type, listeners);
  }
  removeEventListener(type: string, listener: Listener): void {
    this._listeners.set(
      type,
      (this._listeners.get(type) ?? []).filter(l => l !== listener)
    );
  }
  /** Dispatch to this element, then to its ancestors (bubbling). */
  dispatchEvent(event: FakeEvent | Event): boolean {
    const fake = event instanceof FakeEvent ? event : new FakeEvent(event.type);
    fake.target ??= this;
    for (const node of this._path()) {
      if (fake.propagationStopped) {
        break;
      }
      fake.currentTarget = node;
      for (const listener of [...(node._listeners.get(fake.type) ?? [])]) {
        listener(fake);
      }
    }
    return !fake.defaultPrevented;
  }
  /** A click, as a person's: nothing on a disabled control. */
  click(): void {
    if (this.hasAttribute('disabled')) {
      return;
    }
    this.dispatchEvent(new FakeEvent('click'));
  }
  focus(): void {
    this.ownerDocument.activeElement = this;
  }

  matches(selector: string): boolean {
    return parseSelectorList(selector).some(chain => matchesChain(this, chain));
  }
  closest(selector: string): FakeElement | null {
    return this._path().find(node => node.matches(selector)) ?? null;
  }
  querySelectorAll(selector: string): FakeElement[] {
    const chains = parseSelectorList(selector);
    return this._descendants().filter(node => chains.some(chain => matchesChain(node, chain)));
  }
  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }

  /** This element, then its ancestors. */
  private _path(): FakeElement[] {
    const path: FakeElement[] = [this];
    for (let node = this.parentNode; node; node = node.parentNode) {
      path.push(node);
    }
    return path;
  }

  private _descendants(): FakeElement[] {
    const found: FakeElement[] = [];
    for (const child of this.children) {
      found.push(child, ...child._descendants());
    }
    return found;
  }

  private readonly _attributes = new Map<string, string>();
  private readonly _listeners = new Map<string, Listener[]>();
}

export class FakeDocument {
  readonly body = new FakeElement('body', this);
  activeElement: FakeElement | null = null;
  createElement(tagName: string): FakeElement {
    return new FakeElement(tagName, this);
  }
  createTextNode(text: string): FakeText {
    return new FakeText(text);
  }
}

// Selectors: a list of chains of compound selectors (descendant combinator only).

interface Compound {
  tag: string | null;
  ids: string[];
  classes: string[];
  attributes: { name: string; value: string | null }[];
}

function parseCompound(text: string): Compound {
  const compound: Compound = { tag: null, ids: [], classes: [], attributes: [] };
  const pattern = /([a-zA-Z][\w-]*)|\.([\w-]+)|#([\w-]+)|\[([\w-]+)(?:=(?:"([^"]*)"|'([^']*)'|([^\]]*)))?\]/g;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index !== consumed) {
      throw new Error(`fakedom: unsupported selector ${text}`);
    }
    consumed += match[0].length;
    const [, tag, cls, id, attr, dq, sq, bare] = match;
    if (tag) {
      compound.tag = tag.toUpperCase();
    } else if (cls) {
      compound.classes.push(cls);
    } else if (id) {
      compound.ids.push(id);
    } else if (attr) {
      compound.attributes.push({ name: attr, value: dq ?? sq ?? bare ?? null });
    }
  }
  if (consumed !== text.length) {
    throw new Error(`fakedom: unsupported selector ${text}`);
  }
  return compound;
}

function parseSelectorList(selector: string): Compound[][] {
  return selector.split(',').map(part =>
    part
      .trim()
      // Keep spaces inside [attr="a b"] together.
      .split(/\s+(?=(?:[^"']*["'][^"']*["'])*[^"']*$)/)
      .map(parseCompound)
  );
}

function matchesCompound(node: FakeElement, compound: Compound): boolean {
  return (
    (compound.tag === null || node.tagName === compound.tag) &&
    compound.ids.every(id => node.getAttribute('id') === id) &&
    compound.classes.every(cls => node.classList.contains(cls)) &&
    compound.attributes.every(({ name, value }) =>
      value === null ? node.hasAttribute(name) : node.getAttribute(name) === value
    )
  );
}

function matchesChain(node: FakeElement, chain: Compound[]): boolean {
  const last = chain[chain.length - 1];
  if (!matchesCompound(node, last)) {
    return false;
  }
  let rest = chain.length - 2;
  let ancestor = node.parentNode;
  while (rest >= 0 && ancestor) {
    if (matchesCompound(ancestor, chain[rest])) {
      rest--;
    }
    ancestor = ancestor.parentNode;
  }
  return rest < 0;
}

/** Set `globalThis.document` to a {@link FakeDocument}; the result puts the old one back. */
export function installFakeDom(): () => void {
  const global = globalThis as { document?: unknown };
  const previous = global.document;
  global.document = new FakeDocument();
  return () => {
    global.document = previous;
  };
}

/** The elements of `root` with `data-testid="testid"`. */
export function byTestId(root: HTMLElement, testid: string): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`));
}

/** Set a text control's value and tell its listeners, as typing would. */
export function type(control: HTMLInputElement, value: string): void {
  control.value = value;
  control.dispatchEvent(new FakeEvent('input') as unknown as Event);
}
