/**
 * Generators of hostile requests for the fuzz test and the long fuzz script: malformed JSON,
 * wrong types, empty and huge arrays, unknown features and services, NaN and Infinity, unequal
 * columns, deep nesting, wrong content types, oversized bodies.
 */
import fc from 'fast-check';

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  contentType: string | undefined;
  body: string | undefined;
}

const POST_ROUTES = [
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
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
);

const wrongValue = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }),
);

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
        fc.constantFrom('driver_id', 'customer_id', 'x', ''),
        fc.array(wrongValue, { maxLength: 6 }),
        { maxKeys: 3 },
      ),
      wrongValue,
      fc.record({ driver_id: fc.array(fc.integer(), { minLength: 101, maxLength: 300 }) }),
      fc.record({ driver_id: fc.constant([1, 2]), customer_id: fc.constant(['a']) }),
    ),
    features: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom(...FEATURES), fc.string({ maxLength: 20 })), { maxLength: 4 }),
      wrongValue,
    ),
    feature_service: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 10 }), wrongValue),
    full_feature_names: fc.oneof(fc.boolean(), wrongValue),
  })
  .map(text);

const pushBody = fc
  .record({
    push_source_name: fc.oneof(fc.constantFrom('customer_push', 'driver_push', 'nope'), wrongValue),
    df: fc.oneof(
      fc.dictionary(
        fc.constantFrom('customer_id', 'event_timestamp', 'current_balance', 'lifetime_trips', 'x'),
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
    feature_views: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), wrongValue),
  })
  .map(text);

const body = fc.oneof(
  { weight: 3, arbitrary: onlineBody },
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
      ),
      contentType: fc.constant(undefined),
      body: fc.constant(undefined),
    }),
  },
);

/** Sends one fuzzed request; returns status and body text. */
export async function send(base: string, request: FuzzRequest): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const res = await fetch(base + request.url, {
    method: request.method,
    headers,
    body: request.method === 'GET' ? undefined : request.body,
  });
  return { status: res.status, text: await res.text() };
}

/** Whether an answer to a fuzzed request is acceptable: a 2xx, or a 4xx with a JSON error. */
export function checkAnswer(answer: { status: number; text: string }): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
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
  }
  return undefined;
}
