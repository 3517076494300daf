/**
 * Client input quoted in error messages. Whatever a request carries (a bigint deep inside an object,
 * a huge string, a cycle a caller built in code, a symbol) is rendered as short JSON-like text that
 * can neither throw nor grow the message: `JSON.stringify` throws on bigints and cycles, and echoes
 * a megabyte string whole. The walk stops as soon as the text is long enough, so the cost follows
 * the length shown, not the size of the value (but for listing the keys of an object it enters).
 */

/** Longest text a value is shown with, unless the caller says otherwise. */
export const SHOWN_VALUE_LENGTH = 60;
/** Longest a name (a column, feature or view a request named) is shown with. */
export const SHOWN_NAME_LENGTH = 100;

/** A bigint with more hex digits than this is described by its size: its decimal text costs too much. */
const MAX_HEX_DIGITS = 64;
const ELLIPSIS = '…';

/** Thrown inside the walk once the text is long enough; never escapes. */
const FULL: unique symbol = Symbol('full');

class Budget {
  private parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length > this.max) throw FULL;
  }

  text(cut: boolean): string {
    const all = this.parts.join('');
    if (!cut) return all;
    let end = this.max;
    // Do not leave half a surrogate pair at the cut.
    const last = all.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    return `${all.slice(0, end)}${ELLIPSIS}`;
  }
}

function showBigint(value: bigint): string {
  const hex = value.toString(16);
  const digits = hex.length - (value < 0n ? 1 : 0);
  if (digits <= MAX_HEX_DIGITS) return value.toString();
  return `${value < 0n ? '-' : ''}(an integer of about ${Math.ceil(digits * Math.log10(16))} digits)`;
}

function walk(value: unknown, out: Budget, max: number, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      // Cut before quoting: quoting a megabyte to show sixty characters of it is waste.
      out.add(JSON.stringify(value.length > max ? value.slice(0, max + 1) : value));
      return;
    case 'number':
      out.add(String(value));
      return;
    case 'bigint':
      out.add(showBigint(value));
      return;
    case 'boolean':
      out.add(String(value));
      return;
    case 'undefined':
      out.add('undefined');
      return;
    case 'symbol':
      out.add(walkSymbol(value, max));
      return;
    case 'function':
      out.add('(a function)');
      return;
  }
  if (value === null) {
    out.add('null');
    return;
  }
  const object = value as object;
  if (ancestors.has(object)) {
    out.add('(circular)');
    return;
  }
  if (object instanceof Date) {
    out.add(Number.isNaN(object.getTime()) ? '(an invalid Date)' : object.toISOString());
    return;
  }
  if (ArrayBuffer.isView(object)) {
    out.add(`(${object.byteLength} bytes)`);
    return;
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    out.add('[');
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out.add(',');
      walk(object[i], out, max, ancestors);
    }
    out.add(']');
  } else {
    out.add('{');
    let first = true;
    for (const key of Object.keys(object)) {
      if (!first) out.add(',');
      first = false;
      walk(key, out, max, ancestors);
      out.add(':');
      walk((object as Record<string, unknown>)[key], out, max, ancestors);
    }
    out.add('}');
  }
  ancestors.delete(object);
}

function walkSymbol(value: symbol, max: number): string {
  const description = value.description ?? '';
  return `Symbol(${description.length > max ? description.slice(0, max + 1) : description})`;
}

/**
 * `value` as JSON-like text of at most `maxLength` characters (then cut with `…`): strings quoted,
 * bigints as their digits, byte arrays and dates described. Never throws.
 */
export function showValue(value: unknown, maxLength: number = SHOWN_VALUE_LENGTH): string {
  const out = new Budget(maxLength);
  try {
    walk(value, out, maxLength, new Set());
    return out.text(false);
  } catch (err) {
    if (err === FULL) return out.text(true);
    // A getter or proxy that throws: say what the value is, nothing more.
    return `(a value of type ${typeof value})`;
  }
}

/**
 * A name a client gave (an entity column, a feature reference, a view or source name) for a
 * message: as it is when short and printable, so ordinary messages read naturally; otherwise
 * quoted and cut like any value, so control characters show and a huge name stays short.
 */
export function showName(name: string, maxLength: number = SHOWN_NAME_LENGTH): string {
  const plain =
    name.length > 0 &&
    name.length <= maxLength &&
    name.trim() === name &&
    // JSON writes it without escapes: no control characters, quotes, backslashes or lone surrogates.
    JSON.stringify(name).length === name.length + 2;
  return plain ? name : showValue(name, maxLength);
}

/** Names for a message, each as `showName` shows it: the first `maxCount`, then how many more. */
export function showNames(names: readonly string[], maxCount = 10): string {
  const shown = names.slice(0, maxCount).map((n) => showName(n));
  if (names.length > maxCount) shown.push(`and ${names.length - maxCount} more`);
  return shown.join(', ');
}
