/**
 * The reference model of the newest-wins rule (SPEC §5), shared by the property tests: per entity,
 * the row of greatest (event, created), a null created time ranking lowest, and of rows equal in
 * both, the one whose features are greatest, compared in definition order as compute orders them in
 * DuckDB (`ORDER BY feature DESC NULLS LAST`): null lowest; NaN above every number and equal to
 * itself, -0 equal to 0; strings (UTF-8) and bytes by their bytes, a prefix first; in a list, item
 * by item with a null item above every value, then the shorter list first.
 */
import fc from 'fast-check';
import type { ValueType } from '../../src/definitions/value-type.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry } from './online-fixture.ts';

const I63 = 2n ** 63n;
const U32 = 2n ** 32n;

/**
 * The features of the view, each with the values rows draw from: the first is every row's value
 * unless the row changes it, so rows often tie on early features and later ones decide.
 */
const FEATURES: readonly { name: string; type: ValueType; values: readonly unknown[] }[] = [
  { name: 'tag', type: 'string', values: ['a', null, '', 'B', 'a\u0000', 'ab', 'é', 'z', '\uffff', '𝄞'] },
  {
    name: 'score',
    type: 'float64',
    values: [1.5, null, Number.NaN, -0, 0, -1.5, Infinity, -Infinity, 5e-324],
  },
  {
    name: 'items',
    type: 'list<int64>',
    values: [
      [1n],
      null,
      [],
      [null],
      [1n, null],
      [1n, 2n],
      [null, 1n],
      [2n],
      [-1n],
      [U32],
      [U32 - 1n],
      [-I63],
    ],
  },
  { name: 'ratio', type: 'float32', values: [0.5, null, Number.NaN, -0, 0, -2.25, Infinity, -Infinity] },
  {
    name: 'words',
    type: 'list<string>',
    values: [['a'], null, [], [null], ['a', null], ['é'], ['𝄞'], ['\uffff']],
  },
  { name: 'flag', type: 'bool', values: [true, null, false] },
  { name: 'at', type: 'timestamp', values: [0n, null, -1_000_000n, 1_000n, 2n ** 40n] },
  {
    name: 'blob',
    type: 'bytes',
    values: [[0x61], null, [], [0], [0x61, 0], [0x80], [0xff]].map((b) => (b ? new Uint8Array(b) : null)),
  },
  { name: 'n', type: 'int32', values: [0, null, -2147483648, -1, 1, 2147483647] },
  {
    name: 'scores',
    type: 'list<float64>',
    values: [[0], null, [], [null], [-0], [Number.NaN], [-Infinity], [Infinity], [0, Number.NaN]],
  },
  { name: 'big', type: 'int64', values: [0n, null, -I63, -U32, -1n, U32 - 1n, U32, I63 - 1n] },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

export const registry = makeRegistry({
  views: [
    {
      name: 'v',
      entities: ['driver'],
      source: 'src',
      features: FEATURES.map(({ name, type }) => ({ name, type })),
    },
  ],
});

export interface Row {
  entity: number;
  event: number;
  created: number | null;
  /** Feature values in definition order: int64 and timestamps (µs) as bigint, bytes as Uint8Array. */
  values: unknown[];
}

/**
 * Rows over few entities and order keys, so many tie exactly; each takes the first value of every
 * feature but for up to three it changes.
 */
export const rowArb: fc.Arbitrary<Row> = fc
  .record({
    entity: fc.integer({ min: 0, max: 4 }),
    event: fc.integer({ min: 0, max: 3 }),
    created: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
    changes: fc.array(fc.tuple(fc.nat(FEATURES.length - 1), fc.nat()), { maxLength: 3 }),
  })
  .map(({ entity, event, created, changes }) => {
    const values = FEATURES.map((f) => f.values[0]);
    for (const [i, pick] of changes) values[i] = FEATURES[i]!.values[pick % FEATURES[i]!.values.length];
    return { entity, event, created, values };
  });

const sign = (n: number | bigint): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return sign(Buffer.compare(a, b));
}

function compareScalar(type: string, a: unknown, b: unknown): number {
  switch (type) {
    case 'float32':
    case 'float64': {
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(x)) - Number(Number.isNaN(y));
      return sign(x - y);
    }
    case 'int32':
      return sign((a as number) - (b as number));
    case 'int64':
    case 'timestamp':
      return sign((a as bigint) - (b as bigint));
    case 'bool':
      return Number(a) - Number(b);
    case 'string':
      return compareBytes(Buffer.from(a as string, 'utf8'), Buffer.from(b as string, 'utf8'));
    case 'bytes':
      return compareBytes(a as Uint8Array, b as Uint8Array);
    default:
      throw new Error(`no order for ${type}`);
  }
}

function compareValue(type: ValueType, a: unknown, b: unknown): number {
  if (a === null || b === null) return Number(a !== null) - Number(b !== null);
  const element = /^list<(.+)>$/.exec(type)?.[1];
  if (!element) return compareScalar(type, a, b);
  const x = a as unknown[];
  const y = b as unknown[];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    // A null item ranks above every value, as DuckDB orders lists.
    if (x[i] === null || y[i] === null) {
      const c = Number(x[i] === null) - Number(y[i] === null);
      if (c !== 0) return c;
      continue;
    }
    const c = compareScalar(element, x[i], y[i]);
    if (c !== 0) return c;
  }
  return sign(x.length - y.length);
}

/** Order of two rows of one entity: positive when `a` wins over `b`. */
export function compareRows(a: Row, b: Row): number {
  if (a.event !== b.event) return a.event - b.event;
  if (a.created !== b.created) return (a.created ?? -1) - (b.created ?? -1);
  for (let i = 0; i < FEATURES.length; i++) {
    const c = compareValue(FEATURES[i]!.type, a.values[i], b.values[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * A feature value as a read returns it (a timestamp as the Date of its millisecond), with -0 as 0:
 * rows differing only there are equal under the rule, so either may be the one stored.
 */
function readForm(type: ValueType, value: unknown): unknown {
  if (value === null) return null;
  if (Array.isArray(value))
    return value.map((v) => readForm(type.replace(/^list<(.+)>$/, '$1') as ValueType, v));
  if (type === 'timestamp' && typeof value === 'bigint') {
    const micros = value;
    return new Date(Number((micros - (((micros % 1000n) + 1000n) % 1000n)) / 1000n));
  }
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  return value;
}

function readRow(values: readonly unknown[]): unknown[] {
  return values.map((v, i) => readForm(FEATURES[i]!.type, v));
}

/** Expected features per entity, as a read returns them: the greatest row under the rule. */
export function model(rows: readonly Row[]): Map<number, unknown[]> {
  const best = new Map<number, Row>();
  for (const r of rows) {
    const cur = best.get(r.entity);
    if (!cur || compareRows(r, cur) > 0) best.set(r.entity, r);
  }
  return new Map([...best].map(([e, r]) => [e, readRow(r.values)]));
}

/** The stored features per entity that has a row, read back in the model's form. */
export async function readRows(store: OnlineStore, reg = registry): Promise<Map<number, unknown[]>> {
  const ids = [0, 1, 2, 3, 4];
  const res = await store.read(reg, {
    entities: { driver_id: ids },
    features: FEATURE_NAMES.map((f) => `v:${f}`),
  });
  const out = new Map<number, unknown[]>();
  ids.forEach((id, i) => {
    const columns = res.results.slice(1);
    if (columns[0]!.statuses[i] === 'NOT_FOUND') return;
    expectValid(columns.map((c) => c.statuses[i]!));
    out.set(id, readRow(columns.map((c) => c.values[i])));
  });
  return out;
}

function expectValid(statuses: readonly string[]): void {
  if (statuses.some((s) => s !== 'PRESENT' && s !== 'NULL_VALUE'))
    throw new Error(`unexpected statuses ${statuses.join(', ')}`);
}
