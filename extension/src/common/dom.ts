/**
 * Tiny helpers for building the panel's plain DOM.
 */

/** Attributes understood by {@link el}. */
export interface ElementOptions {
  className?: string;
  testid?: string;
  text?: string;
  title?: string;
  /** Other attributes, set with `setAttribute`. */
  attrs?: Record<string, string>;
}

/**
 * `base` and each class of `flags` that is on:
 * `classes('a', { 'jp-mod-selected': true, 'jp-mod-paused': false })` -> `a jp-mod-selected`.
 */
export function classes(base: string, flags: Record<string, boolean>): string {
  return [base, ...Object.keys(flags).filter(name => flags[name])].join(' ');
}

/** Create an element with a class, a `data-testid`, text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.testid) {
    node.dataset.testid = options.testid;
  }
  if (options.title) {
    node.title = options.title;
  }
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  if (options.text !== undefined) {
    node.textContent = options.text;
  }
  node.append(...children);
  return node;
}

/** A styled `<button type="button">` that runs `onClick`. */
export function button(
  label: string,
  onClick: (() => void) | null,
  options: ElementOptions & { accept?: boolean; warn?: boolean } = {}
): HTMLButtonElement {
  const classes = ['jp-mod-styled', 'jp-ScaleLabPanel-button'];
  if (options.accept) {
    classes.push('jp-mod-accept');
  }
  if (options.warn) {
    classes.push('jp-mod-warn');
  }
  if (options.className) {
    classes.push(options.className);
  }
  const node = el('button', {
    ...options,
    className: classes.join(' '),
    text: label
  });
  node.type = onClick ? 'button' : 'submit';
  if (onClick) {
    node.addEventListener('click', onClick);
  }
  return node;
}

/** A `<select>` with one option per value. */
export function select(
  name: string,
  values: readonly string[],
  selected: string,
  options: ElementOptions = {}
): HTMLSelectElement {
  const node = el('select', {
    ...options,
    className: ['jp-ScaleLabPanel-select', options.className ?? '']
      .join(' ')
      .trim()
  });
  node.name = name;
  for (const value of values) {
    const option = el('option', { text: value });
    option.value = value;
    node.append(option);
  }
  node.value = selected;
  return node;
}

/** A text `<input>`; no placeholder for `''`. */
export function input(
  name: string,
  placeholder: string,
  options: ElementOptions = {}
): HTMLInputElement {
  const node = el('input', {
    ...options,
    className: ['jp-ScaleLabPanel-input', options.className ?? '']
      .join(' ')
      .trim()
  });
  node.type = 'text';
  node.name = name;
  if (placeholder) {
    node.placeholder = placeholder;
  }
  node.autocomplete = 'off';
  node.spellcheck = false;
  return node;
}

/** Run `run` when `node` (focusable) is clicked, or on Enter or Space while it has the focus. */
export function onActivate(node: HTMLElement, run: () => void): void {
  node.addEventListener('click', () => {
    run();
  });
  node.addEventListener('keydown', event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      run();
    }
  });
}

/** An error line (`role="alert"`), hidden while empty. */
export function errorLine(testid: string): HTMLElement {
  const node = el('div', {
    className: 'jp-ScaleLabPanel-error',
    testid,
    attrs: { role: 'alert' }
  });
  node.hidden = true;
  return node;
}

/** Show `message` in an {@link errorLine}, or hide it for `null`. */
export function setError(node: HTMLElement, message: string | null): void {
  node.textContent = message ?? '';
  node.hidden = !message;
}

// The look shared by the Runs and Schedules views.

/** A view's header: its `heading` and a Refresh button (`refresh.label`) that runs `onRefresh`. */
export function viewHeader(
  heading: string,
  onRefresh: () => void,
  refresh: ElementOptions & { label?: string }
): HTMLElement {
  const { label = 'Refresh', ...options } = refresh;
  return el(
    'div',
    { className: 'jp-ScaleLabRuns-header' },
    el('h4', { className: 'jp-ScaleLabPanel-subheading', text: heading }),
    button(label, onRefresh, options)
  );
}

/** The top line of a run or schedule: its name (a `<span>`), then `badges`. */
export function nameLine(name: ElementOptions, ...badges: HTMLElement[]): HTMLElement {
  return el(
    'div',
    { className: 'jp-ScaleLabRuns-runTop' },
    el('span', { ...name, className: 'jp-ScaleLabRuns-target' }),
    ...badges
  );
}

/** A status badge: `text` styled by a modifier `className` such as `jp-mod-failed`. */
export function badge(
  text: string,
  className: string,
  testid: string,
  title?: string
): HTMLElement {
  return el('span', {
    className: `jp-ScaleLabRuns-status ${className}`,
    testid,
    text,
    title
  });
}

/** Scroll `node` (if any) just into view, where the browser can scroll. */
export function reveal(node: Element | null): void {
  if (node && typeof node.scrollIntoView === 'function') {
    node.scrollIntoView({ block: 'nearest' });
  }
}
