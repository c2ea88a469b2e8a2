/**
 * Translation of user-facing strings.
 *
 * The plugin loads the `scalelab` bundle of JupyterLab's `ITranslator`;
 * {@link plainTrans} stands in where there is none (pure helpers, tests),
 * with the same placeholder rules as JupyterLab's `nullTranslator`.
 *
 * Type imports only: no JupyterLab code at runtime, so vitest can load it.
 */

import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';

/** The translation domain of the extension. */
export const TRANSLATION_DOMAIN = 'scalelab';

export type { TranslationBundle };

/** `%1`, `%2`… replaced by `args`; `%%` is a literal `%`. */
function format(text: string, args: unknown[]): string {
  return text
    .replace(/%%/g, '%% ')
    .replace(/%(\d+)/g, (match, n: string) => String(args[Number(n) - 1]))
    .replace(/%% /g, '%');
}

class PlainBundle implements TranslationBundle {
  __(msgid: string, ...args: unknown[]): string {
    return format(msgid, args);
  }
  _n(msgid: string, plural: string, n: number, ...args: unknown[]): string {
    return format(n === 1 ? msgid : plural, [n, ...args]);
  }
  _p(msgctxt: string, msgid: string, ...args: unknown[]): string {
    return format(msgid, args);
  }
  _np(msgctxt: string, msgid: string, plural: string, n: number, ...args: unknown[]): string {
    return this._n(msgid, plural, n, ...args);
  }
  gettext(msgid: string, ...args: unknown[]): string {
    return format(msgid, args);
  }
  ngettext(msgid: string, plural: string, n: number, ...args: unknown[]): string {
    return this._n(msgid, plural, n, ...args);
  }
  pgettext(msgctxt: string, msgid: string, ...args: unknown[]): string {
    return format(msgid, args);
  }
  npgettext(msgctxt: string, msgid: string, plural: string, n: number, ...args: unknown[]): string {
    return this._n(msgid, plural, n, ...args);
  }
  dcnpgettext(
    domain: string,
    msgctxt: string,
    msgid: string,
    plural: string,
    n: number,
    ...args: unknown[]
  ): string {
    return this._n(msgid, plural, n, ...args);
  }
}

/** English, untranslated: what `nullTranslator.load(...)` gives. */
export const plainTrans: TranslationBundle = new PlainBundle();

/** The `scalelab` bundle of `translator`, or {@link plainTrans}. */
export function loadTrans(translator?: ITranslator | null): TranslationBundle {
  return translator ? translator.load(TRANSLATION_DOMAIN) : plainTrans;
}
