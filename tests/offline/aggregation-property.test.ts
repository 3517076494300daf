import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Table, Vector } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGGREGATION_FUNCTIONS,
  type AggregationFunction,
} from '../../src/definitions/aggregation/aggregation-functions.ts';
import {
  type AggregationViewDefinition,
  aggregationFeatureSpecs,
  aggregationViewSchema,
  registerAggregationView,
} from '../../src/definitions/aggregation/aggregation-view.ts';
import { defaultGranularity } from '../../src/definitions/aggregation/granularity.ts';
import type { ValueType } from '../../src/definitions/value-type.ts';
import { eventIndexFolder } from '../../src/offline/aggregation/event-index.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import {
  type Cell,
  columnValues,
  makeRegistry,
  offlineConfig,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';
import { type RefEvent, type RefValue, referenceValue } from './reference-windows.ts';

const MINUTE = 60_000_000n;
/** 2024-03-10T00:00:00Z: a day boundary, so every granularity's tiles start on it. */
const BASE = 1_710_028_800_000_000n;
/** 1969-12-30T00:00:00Z: times before the epoch round up toward it, not away. */
const BEFORE_EPOCH = -2n * 86_400_000_000n;
const STEPS = 120;

/** The event columns, their types, and the functions each may take (big: exact functions only). */
const COLUMNS: Record<string, { type: ValueType; sql: string; functions: AggregationFunction[] }> = {
  x: {
    type: 'float64',
    sql: 'DOUBLE',
    functions: [...AGGREGATION_FUNCTIONS],
  },
  i: {
    type: 'int64',
    sql: 'BIGINT',
    functions: [...AGGREGATION_FUNCTIONS],
  },
  big: { type: 'int64', sql: 'BIGINT', functions: ['count', 'sum', 'min', 'max', 'first', 'last', 'last_n'] },
  s: { type: 'string', sql: 'VARCHAR', functions: ['count', 'min', 'max', 'first', 'last', 'last_n'] },
};
const PAIRS = [
  { column: undefined, function: 'count' as AggregationFunction },
  ...Object.entries(COLUMNS).flatMap(([column, c]) => c.functions.map((fn) => ({ column, function: fn }))),
];

/** Window lengths in seconds; each run keeps those its granularity divides. */
const WINDOWS = [60, 300, 600, 3600, 2 * 3600, 12 * 3600, 86_400, 2 * 86_400];

interface Generated {
  /** Where event times start. */
  origin: bigint;
  /** Minutes between grid points of event times. */
  step: number;
  granularity: number | null;
  withCreated: boolean;
  aggregations: { column?: string; function: AggregationFunction; windows: number[]; n?: number }[];
  events: RefEvent[];
  entities: { key: bigint | null; ts: bigint; label: string }[];
}

const nudgeArb = fc.constantFrom(0n, 0n, 0n, -1n, 1n, 30_000_000n);
const valuesArb = fc.record({
  // Multiples of 1/8: every sum is exact, whatever order it is added in.
  x: fc.option(
    fc.integer({ min: -800, max: 800 }).map((k) => k / 8),
    { nil: null },
  ),
  i: fc.option(fc.bigInt({ min: -1000n, max: 1000n }), { nil: null }),
  // Beyond 2^53: a trip through a JS number would round them; small enough that no window's sum
  // leaves int64.
  big: fc.option(
    fc.bigInt({ min: -(2n ** 55n), max: 2n ** 55n }).map((v) => v * 3n + 1n),
    { nil: null },
  ),
  s: fc.option(fc.constantFrom('a', 'b', 'ab', 'c', ''), { nil: null }),
});

const createdArb = fc.option(
  fc.integer({ min: 0, max: 2 }).map((c) => BASE + BigInt(c)),
  { nil: null },
);

const generatedArb: fc.Arbitrary<Generated> = fc
  .record({
    origin: fc.constantFrom(BASE, BASE, BASE, BEFORE_EPOCH),
    step: fc.constantFrom(1, 5, 60),
    granularity: fc.constantFrom(null, 60, 300, 3600),
    withCreated: fc.boolean(),
  })
  .chain(({ origin, step, granularity, withCreated }) => {
    const windows = WINDOWS.filter((w) => w % (granularity ?? defaultGranularity(w)) === 0);
    const aggregationArb = fc
      .uniqueArray(fc.constantFrom(...PAIRS), {
        minLength: 1,
        maxLength: 8,
        selector: (p) => `${p.column}:${p.function}`,
      })
      .chain((pairs) =>
        fc.tuple(
          ...pairs.map((p) =>
            fc
              .record({
                windows: fc.uniqueArray(fc.constantFrom(...windows), { minLength: 1, maxLength: 3 }),
                n: fc.integer({ min: 1, max: 4 }),
              })
              .map(({ windows: ws, n }) => ({
                ...(p.column === undefined ? {} : { column: p.column }),
                function: p.function,
                windows: ws,
                ...(p.function === 'last_n' ? { n } : {}),
              })),
          ),
        ),
      );
    const eventArb = fc
      .record({
        key: fc.option(fc.integer({ min: 1, max: 3 }).map(BigInt), { nil: null, freq: 10 }),
        slot: fc.integer({ min: 0, max: STEPS }),
        nudge: nudgeArb,
        created: createdArb,
        values: valuesArb,
      })
      .map(
        ({ key, slot, nudge, created, values }): RefEvent => ({
          key,
          ts: origin + BigInt(slot * step) * MINUTE + nudge,
          created: withCreated ? created : null,
          values,
        }),
      );
    return fc.record({
      origin: fc.constant(origin),
      step: fc.constant(step),
      granularity: fc.constant(granularity),
      withCreated: fc.constant(withCreated),
      aggregations: aggregationArb,
      events: fc.array(eventArb, { minLength: 0, maxLength: 40 }).chain((events) =>
        events.length === 0
          ? fc.constant(events)
          : // Exact repeats of events count as separate events; siblings (same key, event and
            // created time, other values) leave the choice of first and last to the values.
            fc
              .array(
                fc.record({
                  of: fc.nat(events.length - 1),
                  values: valuesArb,
                  created: fc.option(createdArb, { nil: undefined }),
                }),
                { maxLength: 8 },
              )
              .map((siblings) => [
                ...events,
                ...events.slice(0, 2),
                ...siblings.map(({ of, values, created }) => ({
                  ...events[of]!,
                  values,
                  // Some siblings differ in created time too, which then decides their order.
                  ...(withCreated && created !== undefined ? { created } : {}),
                })),
              ]),
      ),
      entities: fc.constant<Generated['entities']>([]),
    });
  })
  .chain((g) => {
    // Entity rows at an event, at an event plus a window (the edge that still includes it), 1 µs
    // either side of those, on the grid, or anywhere.
    const windows = [...new Set(g.aggregations.flatMap((a) => a.windows))].map((w) => BigInt(w) * 1_000_000n);
    const anchors = g.events.map((e) => e.ts);
    const tsArb: fc.Arbitrary<bigint> = fc.oneof(
      anchors.length > 0
        ? fc
            .record({
              at: fc.constantFrom(...anchors),
              plus: fc.constantFrom(0n, ...windows),
              nudge: fc.constantFrom(0n, 0n, 1n, -1n),
            })
            .map(({ at, plus, nudge }) => at + plus + nudge)
        : fc.constant<bigint>(g.origin),
      fc.integer({ min: 0, max: STEPS * 3 }).map((slot) => g.origin + BigInt(slot * g.step) * MINUTE),
      fc.bigInt({
        min: g.origin - 86_400_000_000n,
        max: g.origin + BigInt(STEPS * g.step) * MINUTE * 2n,
      }),
    );
    const entityArb = fc.record({
      key: fc.option(fc.integer({ min: 1, max: 4 }).map(BigInt), { nil: null, freq: 10 }),
      ts: tsArb,
      label: fc.string({ maxLength: 3 }),
    });
    return fc
      .array(entityArb, { minLength: 1, maxLength: 30 })
      .map((entities) => ({ ...g, entities: entities.length > 1 ? [...entities, entities[0]!] : entities }));
  });

function sameNumber(actual: number, expected: number): boolean {
  return (
    actual === expected ||
    Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(actual), Math.abs(expected))
  );
}

/** An Arrow cell as the reference gives it: lists as arrays. */
function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toArray' in value)
    return Array.from((value as Vector).toArray() as ArrayLike<unknown>, plain);
  return value;
}

async function check(g: Generated): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    const file = path.join(dir, 'events.parquet');
    await writeParquet(
      file,
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'created', type: 'TIMESTAMPTZ' },
        ...Object.entries(COLUMNS).map(([name, c]) => ({ name, type: c.sql })),
      ],
      g.events.map((e): Cell[] => [
        e.key,
        { micros: e.ts },
        e.created === null ? null : { micros: e.created },
        ...Object.keys(COLUMNS).map((c) => e.values[c] ?? null),
      ]),
    );
    const definition = aggregationViewSchema.parse({
      kind: 'aggregation',
      name: 'windows',
      entities: ['driver'],
      source: 'events',
      aggregations: g.aggregations,
      ...(g.granularity === null ? {} : { granularity: g.granularity }),
    });
    const view = registerAggregationView(definition, (c) => COLUMNS[c]!.type);
    const registry = makeRegistry({
      entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
      sources: [
        {
          kind: 'parquet',
          name: 'events',
          path: file,
          timestampField: 'ts',
          ...(g.withCreated ? { createdTimestampField: 'created' } : {}),
        },
      ],
      featureViews: [view],
    });
    const config = offlineConfig(dir);
    await computeViews(config, registry);
    const entityFile = path.join(dir, 'entities.parquet');
    await writeParquet(
      entityFile,
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'event_timestamp', type: 'TIMESTAMPTZ' },
        { name: 'label', type: 'VARCHAR' },
      ],
      g.entities.map((e) => [e.key, { micros: e.ts }, e.label]),
    );
    // First through the event index compute wrote, then from the partitions without it.
    for (const from of ['index', 'partitions']) {
      if (from === 'partitions')
        // A view without events has none.
        await rm(path.join(eventIndexFolder(config.offlineStorePath, 'windows'), 'manifest.json'), {
          force: true,
        });
      await checkTable(
        g,
        definition,
        await historicalTable(config, registry, { entities: entityFile, features: ['windows:*'] }),
      );
    }
  } finally {
    await cleanup();
  }
}

/** The dataset `table` against the brute-force reference, value by value. */
function checkTable(g: Generated, definition: AggregationViewDefinition, table: Table): void {
  const specs = aggregationFeatureSpecs(definition);
  expect(table.schema.names).toEqual(['driver_id', 'event_timestamp', 'label', ...specs.map((s) => s.name)]);
  expect(table.numRows).toBe(g.entities.length);
  // Input order, duplicates and pass-through columns kept.
  expect(columnValues(table, 'driver_id')).toEqual(g.entities.map((e) => e.key));
  expect(columnValues(table, 'event_timestamp')).toEqual(g.entities.map((e) => e.ts));
  expect(columnValues(table, 'label')).toEqual(g.entities.map((e) => e.label));
  for (const spec of specs) {
    const actual = columnValues(table, spec.name).map(plain);
    const column = spec.column === undefined ? undefined : COLUMNS[spec.column]!;
    g.entities.forEach((e, row) => {
      const expected = referenceValue(spec, g.events, e.key, e.ts, column?.type === 'int64');
      const got = actual[row];
      const where = `${spec.name}, row ${row} (key ${e.key}, t ${e.ts})`;
      if (typeof expected === 'number' && typeof got === 'number')
        expect(sameNumber(got, expected), `${where}: got ${got}, expected ${expected}`).toBe(true);
      else expect(got, where).toEqual(expected as RefValue | RefValue[] | null);
    });
  }
}

describe('an integer sum beyond int64', () => {
  it('fails the dataset, naming the feature', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'events.parquet');
      const big = 2n ** 62n;
      await writeParquet(
        file,
        [
          { name: 'driver_id', type: 'BIGINT' },
          { name: 'ts', type: 'TIMESTAMPTZ' },
          { name: 'i', type: 'BIGINT' },
        ],
        [
          [1n, { micros: BASE }, big],
          [1n, { micros: BASE + MINUTE }, big],
        ],
      );
      const definition = aggregationViewSchema.parse({
        kind: 'aggregation',
        name: 'sums',
        entities: ['driver'],
        source: 'events',
        aggregations: [{ column: 'i', function: 'sum', windows: ['1h'] }],
      });
      const registry = makeRegistry({
        entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
        sources: [{ kind: 'parquet', name: 'events', path: file, timestampField: 'ts' }],
        featureViews: [registerAggregationView(definition, () => 'int64')],
      });
      const config = offlineConfig(dir);
      await computeViews(config, registry);
      const at = (micros: bigint) => ({ driver_id: 1n, event_timestamp: new Date(Number(micros / 1000n)) });
      // One value fits; two exceed int64.
      const one = await historicalTable(config, registry, {
        entities: [at(BASE)],
        features: ['sums:i_sum_1h'],
      });
      expect(columnValues(one, 'i_sum_1h')).toEqual([big]);
      await expect(
        historicalTable(config, registry, { entities: [at(BASE + MINUTE)], features: ['sums:i_sum_1h'] }),
      ).rejects.toThrow('feature i_sum_1h: a sum of integers is beyond the int64 range');
    } finally {
      await cleanup();
    }
  });
});

describe('training datasets of aggregation views equal a brute-force reading of SPEC §7', () => {
  it('on random events, entity rows, windows and granularities', { timeout: 600_000 }, async () => {
    await fc.assert(fc.asyncProperty(generatedArb, check), { numRuns: 30 });
  });
});
