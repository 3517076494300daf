/**
 * Integers beyond 2^53, written as raw JSON number text so the lossless parser hands them on as
 * bigints, inside nested objects and lists, put in one position of an otherwise well-formed body of
 * every route (entity values, pushed columns, every field of the feature, push and materialize
 * bodies, path segments and query parameters). Each request says what the refusal must name: the
 * column and row of an entity or pushed value, or the field; positions a route ignores (extra
 * fields, extra push columns) may be accepted.
 */
import fc from 'fast-check';
import type { FuzzRequest } from './fuzz-requests.ts';
import { jsonText } from './server-fixture.ts';

/** Integers no double holds exactly, int64's edges and beyond. */
export const bigInteger: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(
    -5184807016399734332n,
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 63n - 1n,
    2n ** 63n,
    -(2n ** 63n) - 1n,
    2n ** 64n,
    10n ** 40n,
  ),
  fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 80n }),
  fc.bigInt({ min: -(2n ** 80n), max: -(2n ** 53n) - 1n }),
);

const sibling = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  bigInteger,
);

/** Keys the nesting uses: digit strings like the integers, brackets, ordinary and empty names. */
const key = fc.oneof(
  fc.constantFrom('[]', '{}', '', 'a', 'driver_id', 'value'),
  bigInteger.map(String),
  fc.string({ maxLength: 4 }),
);

const level = fc.record({
  list: fc.boolean(),
  key,
  siblings: fc.array(fc.tuple(key, sibling), { maxLength: 2 }),
  at: fc.nat(2),
});

/** An object or list, 1 to 4 levels deep, with a big integer somewhere inside. */
export const nestedBigInteger: fc.Arbitrary<unknown> = fc
  .tuple(bigInteger, fc.array(level, { minLength: 1, maxLength: 4 }))
  .map(([big, levels]) =>
    levels.reduce<unknown>((inner, { list, key: k, siblings, at }) => {
      if (list) {
        const items: unknown[] = siblings.map(([, v]) => v);
        items.splice(at % (items.length + 1), 0, inner);
        return items;
      }
      const object: Record<string, unknown> = {};
      for (const [name, v] of siblings) if (name !== k) object[name] = v;
      object[k] = inner;
      return object;
    }, big),
  );

const CONV_RATE = 'driver_hourly_stats:conv_rate';
const BALANCE = 'customer_profile:current_balance';

function post(url: string, body: unknown, where: string | undefined): FuzzRequest {
  return { method: 'POST', url, contentType: 'application/json', body: jsonText(body), poison: { where } };
}

/** `n` rows of a column, with `value` at `row` when given. */
function column(n: number, make: (i: number) => unknown, row?: number, value?: unknown): unknown[] {
  return Array.from({ length: n }, (_, i) => (i === row ? value : make(i)));
}

/**
 * `value` where the entity columns belong, never a well-formed set of columns: an object whose
 * values happen to be lists would be columns, refused for what they lack rather than for shape.
 */
function notColumns(value: unknown): unknown {
  return Array.isArray(value) ? value : { ...(value as object), driver_id: value };
}

const shape = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  row: fc.nat(3),
  value: nestedBigInteger,
});

/** The fields both read routes share besides the entity columns. */
type RequestField = 'entities' | 'features' | 'feature' | 'feature_service' | 'full_feature_names';

/** Puts `value` in one of the fields both read routes share; returns what its refusal must name. */
function placeInRequestFields(body: Record<string, unknown>, position: RequestField, value: unknown): string {
  switch (position) {
    case 'entities':
      body.entities = notColumns(value);
      return 'entities';
    case 'features':
      body.features = value;
      return 'features';
    case 'feature':
      body.features = [CONV_RATE, value];
      return 'features';
    case 'feature_service':
      body.features = undefined;
      body.feature_service = value;
      return 'feature_service';
    case 'full_feature_names':
      body.full_feature_names = value;
      return 'full_feature_names';
  }
}

const online = fc
  .tuple(
    shape,
    fc.constantFrom(
      'key',
      'string key',
      'extra column',
      'column',
      'entities',
      'features',
      'feature',
      'feature_service',
      'full_feature_names',
      'extra field',
    ),
  )
  .map(([{ rows, row: r, value }, position]): FuzzRequest => {
    const row = r % rows;
    const ids = (i: number) => 1000 + i;
    const body: Record<string, unknown> = {
      entities: { driver_id: column(rows, ids) },
      features: [CONV_RATE],
    };
    let where: string | undefined;
    switch (position) {
      case 'key':
        body.entities = { driver_id: column(rows, ids, row, value) };
        where = `entities.driver_id[${row}]`;
        break;
      case 'string key':
        body.entities = { customer_id: column(rows, (i) => `c${i}`, row, value) };
        body.features = [BALANCE];
        where = `entities.customer_id[${row}]`;
        break;
      case 'extra column':
        body.entities = { driver_id: column(rows, ids), x: column(rows, (i) => i, row, value) };
        where = `entities.x[${row}]`;
        break;
      case 'column':
        body.entities = { driver_id: { value } };
        where = 'driver_id';
        break;
      case 'extra field':
        body.include_feature_view_version_metadata = value;
        break;
      default:
        where = placeInRequestFields(body, position, value);
    }
    return post('/get-online-features', body, where);
  });

const historical = fc
  .tuple(
    shape,
    fc.constantFrom(
      'key',
      'timestamp',
      'extra column',
      'entities',
      'features',
      'feature',
      'feature_service',
      'full_feature_names',
    ),
  )
  .map(([{ rows, row: r, value }, position]): FuzzRequest => {
    const row = r % rows;
    const entities: Record<string, unknown> = {
      driver_id: column(rows, (i) => 1000 + i),
      event_timestamp: column(rows, (i) => `2024-01-0${i + 1}T00:00:00Z`),
    };
    const body: Record<string, unknown> = { entities, features: [CONV_RATE] };
    let where: string;
    switch (position) {
      case 'key':
      case 'timestamp':
      case 'extra column': {
        const name = position === 'key' ? 'driver_id' : position === 'timestamp' ? 'event_timestamp' : 'x';
        if (name === 'x') entities.x = column(rows, (i) => `x${i}`);
        (entities[name] as unknown[])[row] = value;
        where = `entities.${name}[${row}]`;
        break;
      }
      default:
        where = placeInRequestFields(body, position, value);
    }
    return post('/get-historical-features', body, where);
  });

/** customer_push's columns, each with a well-formed value per row. */
const PUSH_COLUMNS: Record<string, (i: number) => unknown> = {
  customer_id: (i) => `c${i}`,
  event_timestamp: (i) => `2024-01-0${i + 1}T00:00:00Z`,
  current_balance: (i) => i + 0.5,
  lifetime_trips: (i) => i,
};

const push = fc
  .tuple(
    shape,
    fc.constantFrom(
      ...Object.keys(PUSH_COLUMNS),
      'whole column',
      'extra column',
      'df',
      'push_source_name',
      'to',
    ),
  )
  .map(([{ rows, row: r, value }, position]): FuzzRequest => {
    const row = r % rows;
    const df: Record<string, unknown> = {};
    for (const [name, make] of Object.entries(PUSH_COLUMNS)) df[name] = column(rows, make);
    const body: Record<string, unknown> = { push_source_name: 'customer_push', df, to: 'online' };
    let where: string | undefined;
    if (position in PUSH_COLUMNS) {
      df[position] = column(rows, PUSH_COLUMNS[position]!, row, value);
      where = `column ${position}, row ${row}`;
    } else if (position === 'whole column') {
      df.current_balance = { value };
      where = 'current_balance';
    } else if (position === 'extra column') {
      // Columns no view reads are ignored: the push may succeed.
      df.x = column(rows, (i) => i, row, value);
    } else if (position === 'df') {
      body.df = value;
      where = 'df';
    } else {
      body[position] = value;
      where = position;
    }
    return post('/push', body, where);
  });

/**
 * Materialize bodies refused even where the value is ignored (start after end, an unknown view),
 * so no request here runs a materialization.
 */
function materializeBody(url: string, base: Record<string, unknown>, fields: readonly string[]) {
  return fc
    .tuple(nestedBigInteger, fc.constantFrom(...fields, 'feature_view', 'extra field'))
    .map(([value, position]): FuzzRequest => {
      const body = { ...base };
      let where: string | undefined;
      if (position === 'feature_view') {
        body.feature_views = ['driver_hourly_stats', value];
        where = 'feature_views';
      } else if (position === 'extra field') {
        body.disable_event_timestamp = value;
      } else {
        body[position] = value;
        where = position;
      }
      return post(url, body, where);
    });
}

const materialize = fc.oneof(
  materializeBody(
    '/materialize',
    { start_ts: '2024-01-02', end_ts: '2024-01-01', feature_views: ['driver_hourly_stats'] },
    ['start_ts', 'end_ts', 'feature_views'],
  ),
  materializeBody('/materialize-incremental', { end_ts: '2024-01-01', feature_views: ['no_such_view'] }, [
    'end_ts',
    'feature_views',
  ]),
);

/** Big integers as path segments and query parameters, where only text can arrive. */
const urls = fc
  .tuple(
    bigInteger,
    fc.constantFrom('/feature-views/', '/entities/', '/data-sources/', '/feature-services/', 'query'),
  )
  .map(([big, route]): FuzzRequest => {
    if (route === 'query') {
      const body = { entities: { driver_id: [1], event_timestamp: ['2024-01-01'] }, features: [CONV_RATE] };
      return post(`/get-historical-features?full_feature_names=${big}`, body, 'full_feature_names');
    }
    return {
      method: 'GET',
      url: `${route}${big}`,
      contentType: undefined,
      body: undefined,
      poison: { where: `${big}` },
    };
  });

/** A request with a big integer in one position of one route's body, path or query. */
export const bigIntegerRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 3, arbitrary: online },
  { weight: 2, arbitrary: historical },
  { weight: 3, arbitrary: push },
  { weight: 2, arbitrary: materialize },
  { weight: 1, arbitrary: urls },
);
