/**
 * Generators of hostile requests for the fuzz test, the long fuzz script and the hostile-input
 * drill: malformed JSON, wrong types, empty and huge arrays, unknown features and services, NaN and
 * Infinity, unequal columns, deep nesting, wrong content types, oversized bodies, and names (entity
 * columns, features, services, push sources and their columns, views, URL segments) carrying SQL
 * fragments, path traversal, quotes and NUL characters, in JSON and in Arrow IPC bodies; and
 * integers beyond 2^53 nested in objects and lists, in every position of every route's body.
 */
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import fc from 'fast-check';
import { bigInteger, bigIntegerRequest, nestedBigInteger } from './fuzz-big-integers.ts';

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  contentType: string | undefined;
  body: string | Uint8Array | undefined;
  /**
   * Set on requests carrying a big integer in one known position (fuzz-big-integers.ts): `where`
   * is what the refusal must name (column and row, or field), undefined where the route ignores
   * the value and may accept the request.
   */
  poison?: { where: string | undefined };
}

/** Files the SQL fragments in generated names try to create: none may ever appear. */
export const INJECTION_TARGETS: readonly string[] = ['csv', 'parquet', 'db'].map((ext) =>
  path.join(os.tmpdir(), `trove-fuzz-injected.${ext}`),
);

/** Names that try to break out of SQL quoting or file paths, or that collide with Trove's own. */
export const hostileName: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `x"; COPY (SELECT 1) TO '${INJECTION_TARGETS[0]}'; --`,
      `driver_id", 1)) t; COPY (SELECT 1) TO '${INJECTION_TARGETS[1]}' (FORMAT parquet); --`,
      `'); ATTACH '${INJECTION_TARGETS[2]}' AS x; --`,
      `x'); DROP TABLE __trove_entity_input; --`,
      `conv_rate FROM read_csv('/etc/passwd') --`,
      '../../etc/passwd',
      '/etc/passwd',
      '..',
      'a/b',
      'a\\b',
      'driver_id\u0000',
      '\u0000',
      `x\u0000"; COPY (SELECT 1) TO '${INJECTION_TARGETS[0]}'; --`,
      '"',
      "'",
      '""',
      '',
      ' ',
      '__trove_row',
      '__trove_ts',
      '__trove_k0',
      'rowid',
      'event_timestamp',
      'created_timestamp',
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:*',
      'conv_rate',
      '__proto__',
      'constructor',
      'SELECT',
      '%s%n%x',
      '\uFEFF',
      '\uD800',
      'é\u0301',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((n) => `${n}"; --`) },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 2_000 }) },
);

/** Every route that takes a JSON body. */
export const POST_ROUTES: readonly string[] = [
  '/get-online-features',
  '/get-historical-features',
  '/push',
  '/materialize',
  '/materialize-incremental',
];
const FEATURES = ['driver_hourly_stats:conv_rate', 'driver_profile:*', 'customer_profile:current_balance'];

/** JSON text of a value, with any of `NaN`, `Infinity` or big integers spliced in as raw tokens. */
const rawNumber = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '9223372036854775808',
  '99999999999999999999999999',
  '0.1e-400',
  '1.',
  '01',
);

const scalar = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  bigInteger,
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
);

const wrongValue = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }),
  nestedBigInteger,
);

/** Every UTF-8 byte of a name as %XX: any name, lone surrogates too, fits in a URL. */
function percentEncoded(name: string): string {
  return [...Buffer.from(name, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function text(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `__big__${v}` : v)).replace(
    /"__big__(-?\d+)"/g,
    '$1',
  );
}

/** Bodies shaped like Feast's, each with something wrong. */
const onlineBody = fc
  .record({
    entities: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('driver_id', 'customer_id', 'x', ''), hostileName),
        fc.array(wrongValue, { maxLength: 6 }),
        { maxKeys: 3 },
      ),
      fc
        .record({ driver_id: fc.array(fc.integer(), { minLength: 1, maxLength: 3 }) })
        .chain((e) => hostileName.map((n) => ({ ...e, [n]: e.driver_id }))),
      wrongValue,
      fc.record({ driver_id: fc.array(fc.integer(), { minLength: 101, maxLength: 300 }) }),
      fc.record({ driver_id: fc.constant([1, 2]), customer_id: fc.constant(['a']) }),
    ),
    features: fc.oneof(
      fc.array(
        fc.oneof(
          fc.constantFrom(...FEATURES),
          fc.string({ maxLength: 20 }),
          hostileName,
          hostileName.map((n) => `driver_hourly_stats:${n}`),
        ),
        { maxLength: 4 },
      ),
      wrongValue,
    ),
    feature_service: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 10 }), hostileName, wrongValue),
    full_feature_names: fc.oneof(fc.boolean(), wrongValue),
  })
  .map(text);

const pushBody = fc
  .record({
    push_source_name: fc.oneof(
      fc.constantFrom('customer_push', 'driver_push', 'nope', 'not_a_push_source'),
      hostileName,
      wrongValue,
    ),
    df: fc.oneof(
      fc.dictionary(
        fc.oneof(
          fc.constantFrom('customer_id', 'event_timestamp', 'current_balance', 'lifetime_trips', 'x'),
          hostileName,
        ),
        fc.array(wrongValue, { maxLength: 4 }),
        {
          maxKeys: 5,
        },
      ),
      wrongValue,
    ),
    to: fc.oneof(fc.constantFrom('online', 'offline', 'online_and_offline', 'elsewhere'), wrongValue),
  })
  .map(text);

const materializeBody = fc
  .record({
    start_ts: fc.oneof(fc.constantFrom('2024-01-01', 'not a time', '2024-13-45T99:00:00Z', ''), wrongValue),
    end_ts: fc.oneof(fc.constantFrom('2023-01-01', 'yesterday', '2024-02-30'), wrongValue),
    feature_views: fc.oneof(
      fc.array(fc.oneof(fc.string({ maxLength: 8 }), hostileName), { maxLength: 3 }),
      wrongValue,
    ),
  })
  .map(text);

/** Hours after 2024-01-01, as ISO text: entity event times the join can use. */
function hourText(hours: number): string {
  return new Date(Date.UTC(2024, 0, 1) + hours * 3_600_000).toISOString();
}

/** Well-formed training requests that reach DuckDB, with hostile extra columns and features. */
const historicalShape = fc.record({
  rows: fc.integer({ min: 1, max: 40 }),
  offset: fc.nat(5_000),
  extra: fc.array(hostileName, { maxLength: 3 }),
  features: fc.array(
    fc.oneof(
      fc.constantFrom(...FEATURES),
      hostileName,
      hostileName.map((n) => `driver_hourly_stats:${n}`),
      hostileName.map((n) => `${n}:conv_rate`),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  full: fc.boolean(),
});

const historicalBody = historicalShape.map(({ rows, offset, extra, features, full }) => {
  const entities: Record<string, unknown[]> = {
    driver_id: Array.from({ length: rows }, (_, i) => 1000 + ((offset + i) % 12)),
    event_timestamp: Array.from({ length: rows }, (_, i) => hourText(offset + i)),
  };
  extra.forEach((name, k) => {
    entities[name] = Array.from({ length: rows }, (_, i) => (k % 2 === 0 ? `${name}-${i}` : i));
  });
  return text({ entities, features, full_feature_names: full });
});

/** The same as an Arrow IPC stream, with the features in the query string. */
const historicalArrow = historicalShape.map(({ rows, offset, extra, features, full }) => {
  const columns: Record<string, unknown> = {
    driver_id: BigInt64Array.from({ length: rows }, (_, i) => BigInt(1000 + ((offset + i) % 12))),
    event_timestamp: Array.from({ length: rows }, (_, i) => new Date(hourText(offset + i))),
  };
  for (const name of extra) columns[name] = Array.from({ length: rows }, (_, i) => `${name}-${i}`);
  const body = tableToIPC(tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]), 'stream');
  const query = new URLSearchParams({ features: features.join(','), full_feature_names: String(full) });
  return { url: `/get-historical-features?${query}`, body };
});

const body = fc.oneof(
  { weight: 3, arbitrary: onlineBody },
  { weight: 2, arbitrary: historicalBody },
  { weight: 2, arbitrary: pushBody },
  { weight: 2, arbitrary: materializeBody },
  // Malformed JSON: random text, truncated valid bodies, raw non-JSON number tokens.
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: onlineBody.chain((b) => fc.nat(b.length).map((n) => b.slice(0, n))) },
  {
    weight: 1,
    arbitrary: rawNumber.map((n) => `{"entities":{"driver_id":[${n}]},"features":["${FEATURES[0]}"]}`),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  // Deep nesting and oversized bodies.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60, max: 5_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60, max: 2_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 70_000, max: 100_000 })
      .map((n) => `{"entities":{"driver_id":[${'1,'.repeat(n / 2)}1]}}`),
  },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
      'application/vnd.apache.arrow.stream',
      'application/jsonx',
      '',
    ),
  },
);

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 2, arbitrary: bigIntegerRequest },
  {
    weight: 1,
    arbitrary: historicalArrow.map(
      ({ url, body: bytes }): FuzzRequest => ({
        method: 'POST',
        url,
        contentType: 'application/vnd.apache.arrow.stream',
        body: bytes,
      }),
    ),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      method: fc.constant('POST' as const),
      url: fc.constantFrom(...POST_ROUTES),
      contentType,
      body,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      method: fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const, 'POST' as const),
      url: fc.oneof(
        fc.constantFrom(
          '/feature-views/%',
          '/feature-views/x%00y',
          '/entities/..%2f..',
          '/registry?x=1',
          '//',
          '/health/',
        ),
        fc.webPath().map((p) => p || '/'),
        fc
          .tuple(
            fc.constantFrom('/feature-views/', '/entities/', '/data-sources/', '/feature-services/'),
            hostileName,
          )
          .map(([route, name]) => `${route}${percentEncoded(name)}`),
        hostileName.map((n) => `/get-historical-features?features=${percentEncoded(n)}`),
      ),
      contentType: fc.constant(undefined),
      body: fc.constant(undefined),
    }),
  },
);

/** Sends one fuzzed request; returns status and body text. Rejects when no answer comes in `timeoutMs`. */
export async function send(
  base: string,
  request: FuzzRequest,
  timeoutMs = 60_000,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await fetch(base + request.url, {
    method: request.method,
    headers,
    body: request.method === 'GET' ? undefined : request.body,
    signal,
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Whether an answer to a fuzzed request is acceptable: a 2xx, or a 4xx with a JSON error; for a
 * request with a big integer where it must be refused, a 4xx whose message names the position.
 */
export function checkAnswer(
  answer: { status: number; text: string },
  request?: FuzzRequest,
): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  const where = request?.poison?.where;
  if (where !== undefined && answer.status < 400) {
    return `status ${answer.status} for a big integer at ${where}: ${answer.text.slice(0, 200)}`;
  }
  if (answer.status >= 400) {
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return `status ${answer.status} without a JSON body: ${answer.text.slice(0, 200)}`;
    }
    if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') {
      return `status ${answer.status} without {error: {code, message}}: ${answer.text.slice(0, 200)}`;
    }
    if (where !== undefined && !parsed.error.message.includes(where)) {
      return `status ${answer.status} for a big integer at ${where}, not named: ${parsed.error.message.slice(0, 200)}`;
    }
  }
  return undefined;
}
