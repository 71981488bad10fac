/**
 * HTML for the demo's web interface: one tagged template, {@link html}, that escapes every interpolated value.
 * Only another `html` result (or {@link raw}, for constants of this module's callers) passes through as markup.
 */

const SAFE = Symbol('safe html');

/** Markup that is already safe to emit (built by {@link html} or {@link raw}). */
export interface SafeHtml {
  readonly [SAFE]: true;
  readonly value: string;
  toString(): string;
}

/** What may be interpolated: text is escaped, SafeHtml kept, arrays joined, `null`/`undefined`/`false` dropped. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (character) => ESCAPES[character] as string);
}

function safe(value: string): SafeHtml {
  return { [SAFE]: true, value, toString: () => value };
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as { [SAFE]?: unknown })[SAFE] === true;
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafe(value)) return value.value;
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item)).join('');
  return escapeHtml(String(value));
}

/**
 * The tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` results are kept as markup.
 *
 * @example
 * ```ts
 * html`<td>${title}</td>`; // title '<b>' becomes '&lt;b&gt;'
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] ?? '');
  return safe(out);
}

/** Trusted markup written by the demo itself (never user or request data). */
export function raw(markup: string): SafeHtml {
  return safe(markup);
}
