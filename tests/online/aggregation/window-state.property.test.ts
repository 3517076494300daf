/**
 * The online state of an aggregation view against SPEC §7 read plainly: random events folded into
 * tiles (split over the materialized layer and several pushes), read back at random instants,
 * equal to the brute-force reference of tests/offline/reference-windows.ts. No Redis: this is the
 * tiling and merging alone; tests/online/aggregation/online-aggregation.property.test.ts runs the
 * same through the store.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  AGGREGATION_FUNCTIONS,
  type AggregationFunction,
} from '../../../src/definitions/aggregation/aggregation-functions.ts';
import {
  aggregationViewSchema,
  registerAggregationView,
} from '../../../src/definitions/aggregation/aggregation-view.ts';
import { defaultGranularity } from '../../../src/definitions/aggregation/granularity.ts';
import type { ValueType } from '../../../src/definitions/value-type.ts';
import { AggregationCodec } from '../../../src/online/aggregation/aggregation-codec.ts';
import { hashFieldsOfRecord } from '../../../src/online/aggregation/read-aggregations.ts';
import { TileBuilder } from '../../../src/online/aggregation/tile-builder.ts';
import { windowStates } from '../../../src/online/aggregation/window-state.ts';
import { type RefEvent, referenceValue } from '../../offline/reference-windows.ts';
import { expectAggregateEqual } from './expect-aggregate.ts';

const MINUTE = 60_000_000n;
/** 2024-03-10T00:00:00Z. */
const BASE = 1_710_028_800_000_000n;

const TYPES: Record<string, ValueType> = { x: 'float64', i: 'int64', s: 'string' };
const PAIRS: { column?: string; function: AggregationFunction }[] = [
  { function: 'count' },
  ...['x', 'i'].flatMap((column) => AGGREGATION_FUNCTIONS.map((fn) => ({ column, function: fn }))),
  ...(['count', 'min', 'max', 'first', 'last', 'last_n'] as const).map((fn) => ({
    column: 's',
    function: fn,
  })),
];
const WINDOWS = [300, 600, 3600, 2 * 3600, 86_400, 2 * 86_400];

const valuesArb = fc.record({
  x: fc.option(
    fc.integer({ min: -800, max: 800 }).map((k) => k / 8),
    { nil: null },
  ),
  i: fc.option(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), { nil: null }),
  s: fc.option(fc.constantFrom('a', 'b', 'ab', 'é', '😀', ''), { nil: null }),
});

const caseArb = fc
  .record({
    granularity: fc.constantFrom(null, null, 60, 300),
    step: fc.constantFrom(1, 7, 60),
    withCreated: fc.boolean(),
  })
  .chain(({ granularity, step, withCreated }) => {
    const windows = WINDOWS.filter((w) => w % (granularity ?? defaultGranularity(w)) === 0);
    const aggregations = fc
      .uniqueArray(fc.constantFrom(...PAIRS), {
        minLength: 1,
        maxLength: 6,
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
                ...p,
                windows: ws,
                ...(p.function === 'last_n' ? { n } : {}),
              })),
          ),
        ),
      );
    const event = fc.record({
      slot: fc.integer({ min: 0, max: 200 }),
      nudge: fc.constantFrom(0n, 0n, -1n, 1n, 30_000_000n),
      created: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
      values: valuesArb,
      layer: fc.constantFrom(null, null, 'p1', 'p2'),
    });
    return fc.record({
      granularity: fc.constant(granularity),
      aggregations,
      events: fc.array(event, { maxLength: 40 }).map((es) =>
        es.map((e) => ({
          ts: BASE + BigInt(e.slot * step) * MINUTE + e.nudge,
          created: withCreated && e.created !== null ? BASE + BigInt(e.created) : null,
          values: e.values,
          layer: e.layer,
        })),
      ),
      instants: fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 200 * step }).map((m) => BASE + BigInt(m) * MINUTE),
          fc.bigInt({ min: BASE - MINUTE, max: BASE + BigInt(210 * step) * MINUTE }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    });
  });

describe('online aggregation state', () => {
  it('equals the SPEC §7 reference at every instant, across layers', () => {
    fc.assert(
      fc.property(caseArb, ({ granularity, aggregations, events, instants }) => {
        const view = registerAggregationView(
          aggregationViewSchema.parse({
            kind: 'aggregation',
            name: 'v',
            entities: ['driver'],
            source: 'events',
            aggregations,
            ...(granularity === null ? {} : { granularity }),
          }),
          (c) => TYPES[c]!,
        );
        const codec = new AggregationCodec(view, [{ name: 'driver_id', type: 'int64' }]);
        const refEvents: RefEvent[] = events.map((e) => ({
          key: 1n,
          ts: e.ts,
          created: e.created,
          values: e.values,
        }));
        for (const t of instants) {
          // The wall clock at the read: every tile a read at t needs is still kept.
          const nowSeconds = Math.floor(Number(t) / 1e6);
          const layers = new Map<string | null, TileBuilder>();
          for (const e of events) {
            let b = layers.get(e.layer);
            if (!b) {
              b = new TileBuilder(codec, e.layer, nowSeconds);
              layers.set(e.layer, b);
            }
            b.add({
              ts: Number(e.ts),
              created: e.created === null ? null : Number(e.created),
              values: view.columns.map((c) => e.values[c.name as keyof typeof e.values]),
            });
          }
          const fields = [...layers.values()].flatMap((b) => b.finish().fields);
          const states = windowStates(codec, hashFieldsOfRecord(Object.fromEntries(fields)), Number(t));
          codec.features.forEach((f, i) => {
            const expected = referenceValue(f.spec, refEvents, 1n, t, f.spec.column === 'i');
            const actual = codec.value(i, states[f.span]!);
            expectAggregateEqual(actual, expected, `${f.spec.name} at ${t}`);
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});
