/**
 * One line for a zod issue that says what was given and what was expected, e.g.
 * `got "float128", expected one of int32, int64, …`, for definition files, trove.yaml and API
 * requests alike. Zod's own messages name only the expectation; the value given is looked up in
 * the input by the issue's path and shown cut short by `showValue`, since inputs come from users'
 * files and request bodies and may hold anything.
 */
import { z } from 'zod';
import { SHOWN_NAME_LENGTH, SHOWN_VALUE_LENGTH, showValue } from './show-value.ts';

type Issue = z.core.$ZodIssue;

/** Where an issue is (relative to the input) and what it says, without the path. */
export interface ZodIssueReport {
  path: PropertyKey[];
  message: string;
}

export interface ZodIssueMessageOptions {
  /** Whether the value at a path is a secret: then only its kind and size are shown. */
  isSecret?: (path: readonly PropertyKey[]) => boolean;
}

/** The value at an issue's path: there, absent, or behind a getter or proxy that threw. */
type Lookup = { state: 'present'; value: unknown } | { state: 'missing' } | { state: 'unreadable' };

/** Unions nest in unions only as deep as schemas do; this bounds the walk regardless. */
const MAX_UNION_DEPTH = 8;
const MAX_LISTED = 20;
const MAX_LISTED_KEYS = 5;

const SIZE_UNITS: Record<string, [one: string, many: string]> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
  map: ['entry', 'entries'],
  file: ['byte', 'bytes'],
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'true or false',
  symbol: 'a symbol',
  undefined: 'no value',
  void: 'no value',
  never: 'no value',
  null: 'null',
  date: 'a date',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  map: 'a map',
  set: 'a set',
  file: 'a file',
  function: 'a function',
  nonoptional: 'a value',
  nan: 'NaN',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  guid: 'a GUID',
  datetime: 'an ISO 8601 date and time',
  date: 'an ISO 8601 date',
  time: 'an ISO 8601 time',
  duration: 'an ISO 8601 duration',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 range',
  cidrv6: 'an IPv6 range',
  base64: 'base64 text',
  base64url: 'base64url text',
  json_string: 'JSON text',
  e164: 'an E.164 phone number',
  jwt: 'a JWT',
  lowercase: 'lowercase text',
  uppercase: 'uppercase text',
};

function lookUp(input: unknown, path: readonly PropertyKey[]): Lookup {
  let value = input;
  try {
    for (const key of path) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
        return { state: 'missing' };
      }
      if (value instanceof Map) {
        if (!value.has(key)) return { state: 'missing' };
        value = value.get(key);
        continue;
      }
      if (!(key in value)) return { state: 'missing' };
      value = (value as Record<PropertyKey, unknown>)[key];
    }
  } catch {
    return { state: 'unreadable' };
  }
  return { state: 'present', value };
}

/** What a secret is, without what it says. */
function describeSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters (not shown)`;
  return `${value === null ? 'null' : `a value of type ${typeof value}`} (not shown)`;
}

/**
 * `got …` for the value at an issue's path. A long string or list also says how long it is, as
 * its shown text is cut; a bigint small enough to look like a number says what it is.
 */
function given(found: Lookup, secret: boolean): string {
  if (found.state === 'missing') return 'missing';
  if (found.state === 'unreadable') return 'got a value that could not be read';
  const { value } = found;
  if (secret) return `got ${describeSecret(value)}`;
  // A symbol's description is quoted like any text, so it cannot break the line.
  if (typeof value === 'symbol')
    return `got Symbol(${showValue(value.description ?? '', SHOWN_NAME_LENGTH)})`;
  let text = `got ${showValue(value)}`;
  if (typeof value === 'string' && value.length > SHOWN_VALUE_LENGTH) {
    text += ` (${value.length} characters)`;
  } else if (Array.isArray(value) && text.endsWith('…')) {
    text += ` (${value.length} item${value.length === 1 ? '' : 's'})`;
  } else if (
    typeof value === 'bigint' &&
    value >= Number.MIN_SAFE_INTEGER &&
    value <= Number.MAX_SAFE_INTEGER
  ) {
    text += ' (a bigint)';
  }
  return text;
}

/** An allowed value as listed in a message: a plain word as it is, anything else quoted. */
function showOption(value: unknown): string {
  if (typeof value === 'string' && /^[\w<>:.*-]+$/.test(value) && value.length <= SHOWN_NAME_LENGTH) {
    return value;
  }
  return showValue(value, SHOWN_NAME_LENGTH);
}

function listOptions(values: readonly unknown[]): string {
  const shown = values.slice(0, MAX_LISTED).map(showOption);
  if (values.length > MAX_LISTED) shown.push(`and ${values.length - MAX_LISTED} more`);
  return shown.join(', ');
}

/** A bound of a size or number check, e.g. `at least 1 character`, `more than 0`. */
function bound(
  origin: string,
  limit: unknown,
  exact: boolean | undefined,
  inclusive: boolean | undefined,
  words: { inclusive: string; exclusive: string; exclusiveSize: string },
): string {
  const n = typeof limit === 'number' || typeof limit === 'bigint' ? String(limit) : showValue(limit);
  const units = SIZE_UNITS[origin];
  const unit = units ? ` ${n === '1' ? units[0] : units[1]}` : '';
  if (exact) return `exactly ${n}${unit}`;
  if (inclusive) return `${words.inclusive} ${n}${unit}`;
  return `${units ? words.exclusiveSize : words.exclusive} ${n}${unit}`;
}

function describeFormat(issue: Extract<Issue, { code: 'invalid_format' }>): string {
  const details = issue as { prefix?: unknown; suffix?: unknown; includes?: unknown };
  switch (issue.format) {
    case 'regex':
      return `text matching ${issue.pattern ?? 'the pattern'}`;
    case 'starts_with':
      return `text starting with ${showValue(details.prefix)}`;
    case 'ends_with':
      return `text ending with ${showValue(details.suffix)}`;
    case 'includes':
      return `text containing ${showValue(details.includes)}`;
    default:
      return FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`;
  }
}

/**
 * The message a schema gave for this check (`.min(1, 'a view needs …')`), or undefined when the
 * issue carries zod's standard one: that is recognized by asking zod's error map for it again.
 * Only a wrong-type message depends on the value, so when the value could not be read, such a
 * message is taken for the standard one.
 */
function schemaMessage(issue: Issue, found: Lookup): string | undefined {
  const standardMap = z.config().localeError;
  if (!standardMap) return issue.message;
  if (found.state === 'unreadable' && issue.code === 'invalid_type') return undefined;
  try {
    const input = found.state === 'present' ? found.value : undefined;
    const standard = standardMap({ ...issue, input } as Parameters<typeof standardMap>[0]);
    const text = typeof standard === 'string' ? standard : standard?.message;
    return text === issue.message ? undefined : issue.message;
  } catch {
    return issue.message;
  }
}

/** What an issue expected: the schema's own words when it has them, else `expected …`. */
function expectation(issue: Issue, found: Lookup): string {
  const own = schemaMessage(issue, found);
  if (own !== undefined) return own;
  switch (issue.code) {
    case 'invalid_type': {
      const value = found.state === 'present' ? found.value : undefined;
      if (issue.expected === 'number' && typeof value === 'number') return 'expected a finite number';
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${showValue(issue.values[0], SHOWN_NAME_LENGTH)}`
        : `expected one of ${listOptions(issue.values)}`;
    case 'too_small':
      return `expected ${bound(issue.origin, issue.minimum, issue.exact, issue.inclusive, {
        inclusive: 'at least',
        exclusive: 'more than',
        exclusiveSize: 'more than',
      })}`;
    case 'too_big':
      return `expected ${bound(issue.origin, issue.maximum, issue.exact, issue.inclusive, {
        inclusive: 'at most',
        exclusive: 'less than',
        exclusiveSize: 'fewer than',
      })}`;
    case 'invalid_format':
      return `expected ${describeFormat(issue)}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'expected no other keys';
    default:
      return 'invalid value';
  }
}

/** `got X, expected Y`; a schema's message that is not phrased as an expectation comes first. */
function join(got: string, expected: string): string {
  return expected.startsWith('expected ') ? `${got}, ${expected}` : `${expected} (${got})`;
}

/** `expected A or B` from `expected A` and `expected B`. */
function alternatives(expectations: readonly string[]): string {
  const unique = [...new Set(expectations)];
  if (!unique.every((e) => e.startsWith('expected '))) return unique.join('; or ');
  const parts = unique.map((e) => e.slice('expected '.length));
  const last = parts.pop();
  return `expected ${parts.length > 0 ? `${parts.join(', ')} or ${last}` : last}`;
}

function unknownKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, MAX_LISTED_KEYS).map((k) => showValue(k, SHOWN_NAME_LENGTH));
  if (keys.length > MAX_LISTED_KEYS) shown.push(`and ${keys.length - MAX_LISTED_KEYS} more`);
  return `unknown key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}`;
}

/**
 * A union the value matched no option of. A discriminated union names its options; otherwise,
 * when every option refused the value as a whole (a wrong type), the message lists what each
 * wanted; when some option accepted its shape and failed inside it, that inner problem is the one
 * reported, at its own path.
 */
function describeUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  input: unknown,
  base: readonly PropertyKey[],
  options: ZodIssueMessageOptions,
  depth: number,
): ZodIssueReport {
  const path = [...issue.path];
  const found = lookUp(input, path);
  const got = given(found, options.isSecret?.([...base, ...path]) ?? false);
  const own = schemaMessage(issue, found);
  if (own !== undefined) return { path, message: join(got, own) };
  if (issue.inclusive === false) {
    return { path, message: `${got}, which fits more than one of the allowed forms` };
  }
  if (issue.errors.length === 0) {
    const allowed = issue.options ?? [];
    return {
      path,
      message: join(got, allowed.length > 0 ? `expected one of ${listOptions(allowed)}` : 'invalid value'),
    };
  }
  const value = found.state === 'present' ? found.value : undefined;
  const whole = issue.errors.map((errors) =>
    errors.find((e) => e.path.length === 0 && e.code !== 'invalid_union'),
  );
  if (whole.every((e) => e !== undefined)) {
    return { path, message: join(got, alternatives(whole.map((e) => expectation(e, found)))) };
  }
  const inside = issue.errors
    .filter((errors) => errors.length > 0 && errors.every((e) => e.path.length > 0))
    .sort((a, b) => a.length - b.length)[0]?.[0];
  if (inside && depth < MAX_UNION_DEPTH) {
    const inner = describeAt(inside, value, [...base, ...path], options, depth + 1);
    return { path: [...path, ...inner.path], message: inner.message };
  }
  return { path, message: `${got}, which fits none of the allowed forms` };
}

function describeAt(
  issue: Issue,
  input: unknown,
  base: readonly PropertyKey[],
  options: ZodIssueMessageOptions,
  depth: number,
): ZodIssueReport {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path, message: unknownKeys(issue.keys) };
    case 'invalid_union':
      return describeUnion(issue, input, base, options, depth);
    case 'invalid_key': {
      // The path ends with the key itself; the problem is the key, in the object holding it.
      const key = path.pop();
      const keyIssue = issue.issues[0];
      const found: Lookup = { state: 'present', value: key };
      const expected = keyIssue ? expectation(keyIssue, found) : 'invalid key';
      return { path, message: join(`got key ${showValue(key, SHOWN_NAME_LENGTH)}`, expected) };
    }
    case 'invalid_element': {
      const found = lookUp(input, path);
      const holder = found.state === 'present' ? found.value : undefined;
      const element = holder instanceof Map ? holder.get(issue.key) : issue.key;
      const inner = issue.issues[0];
      const message = inner
        ? describeAt(inner, element, [...base, ...path], options, depth + 1).message
        : 'invalid value';
      return {
        path,
        message: `${issue.origin} entry ${showValue(issue.key, SHOWN_NAME_LENGTH)}: ${message}`,
      };
    }
    default: {
      const found = lookUp(input, path);
      const got = given(found, options.isSecret?.([...base, ...path]) ?? false);
      return { path, message: join(got, expectation(issue, found)) };
    }
  }
}

/**
 * Describes a zod issue raised while parsing `input`: the path of the offending value and a
 * one-line message naming the value (cut short) and what was expected. Never throws.
 */
export function describeZodIssue(
  issue: Issue,
  input: unknown,
  options: ZodIssueMessageOptions = {},
): ZodIssueReport {
  try {
    return describeAt(issue, input, [], options, 0);
  } catch {
    return { path: [...issue.path], message: issue.message };
  }
}
