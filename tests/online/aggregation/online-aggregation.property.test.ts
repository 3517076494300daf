/**
 * An aggregation view online, through the store against the real Redis and DuckDB: random
 * interleavings of pushes (online, offline, both; some retried with their idempotency key),
 * materializations and reads at random instants around now. Every value read equals the SPEC §7
 * reference over the events online at that moment: pushed online, or found offline by the last
 * materialization (batch rows and every push to offline), each counted once.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import type { AggregationView } from '../../../src/definitions/aggregation/aggregation-view.ts';
import { aggregationFeatureSpecs } from '../../../src/definitions/aggregation/aggregation-view.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import type { PushTarget } from '../../../src/push/push-rows.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { type RefEvent, referenceValue } from '../../offline/reference-windows.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';
import { expectAggregateEqual } from './expect-aggregate.ts';

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
  - name: trip_push
    kind: push
    timestampField: event_timestamp
    batchSource: trips
featureViews:
  - name: trip_aggs
    kind: aggregation
    entities: [driver]
    source: trip_push
    aggregations:
      - { function: count, windows: [10m, 1h, 1d] }
      - { column: fare, function: sum, windows: [10m, 2h, 2d] }
      - { column: fare, function: mean, windows: [1h] }
      - { column: fare, function: var_samp, windows: [1d] }
      - { column: fare, function: max, windows: [1h] }
      - { column: city, function: last, windows: [2h] }
      - { column: city, function: first, windows: [1d] }
      - { column: city, function: last_n, n: 3, windows: [1d] }
`;

const MINUTE = 60_000;
const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-agg-online-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;
let view: AggregationView;
/**
 * Batch rows of every run so far: each run rewrites the file with its own added. The first, of a
 * driver no run reads, long ago, gives the columns their types.
 */
const csvRows: string[] = ['9,2024-01-01T00:00:00Z,12.5,oslo'];
let run = 0;

interface TestEvent {
  driver: number;
  /** Epoch ms. */
  ts: number;
  fare: number | null;
  city: string | null;
}

type Op =
  | { kind: 'push'; events: TestEvent[]; to: PushTarget }
  | { kind: 'retry' }
  | { kind: 'materialize' }
  | { kind: 'read'; offsetMinutes: number };

/** Events at whole minutes (some on 5-minute and hour boundaries) in the two days before `anchor`. */
function eventsArb(drivers: readonly number[], anchor: number): fc.Arbitrary<TestEvent[]> {
  return fc.array(
    fc.record({
      driver: fc.constantFrom(...drivers),
      ts: fc.oneof(
        fc.integer({ min: -48 * 60, max: 20 }).map((m) => anchor + m * MINUTE),
        fc.integer({ min: -90, max: 20 }).map((m) => anchor + m * MINUTE + 1),
      ),
      fare: fc.option(
        fc.integer({ min: 0, max: 400 }).map((k) => k / 8),
        { nil: null, freq: 6 },
      ),
      city: fc.option(fc.constantFrom('oslo', 'lima', 'rome'), { nil: null, freq: 6 }),
    }),
    { minLength: 1, maxLength: 6 },
  );
}

function opsArb(drivers: readonly number[], anchor: number): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('push' as const),
        events: eventsArb(drivers, anchor),
        to: fc.constantFrom<PushTarget>('online', 'online_and_offline', 'offline'),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'retry' }) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'materialize' }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        offsetMinutes: fc.integer({ min: -40, max: 90 }),
      }),
    },
  );
  return fc.array(op, { minLength: 3, maxLength: 10 });
}

const iso = (ms: number) => new Date(ms).toISOString();
const csvCell = (v: number | string | null) => (v === null ? '' : String(v));

async function pushEvents(events: TestEvent[], to: PushTarget, idempotencyKey: string): Promise<void> {
  await store.push({
    pushSourceName: 'trip_push',
    to,
    idempotencyKey,
    df: {
      driver_id: events.map((e) => e.driver),
      event_timestamp: events.map((e) => iso(e.ts)),
      fare: events.map((e) => e.fare),
      city: events.map((e) => e.city),
    },
  });
}

const toRef = (e: TestEvent): RefEvent => ({
  key: BigInt(e.driver),
  ts: BigInt(e.ts) * 1000n,
  created: null,
  values: { fare: e.fare, city: e.city },
});

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: agg_online_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/trips.csv', `driver_id,event_timestamp,fare,city\n${csvRows[0]}\n`);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  view = (await store.registry()).featureView('trip_aggs') as AggregationView;
}, 60_000);

afterAll(async () => {
  await store?.teardown();
  await store?.close();
  await repo?.remove();
});

describe('an aggregation view online', () => {
  it('answers the reference at every read, whatever pushes, retries and materializations came before', async () => {
    const specs = aggregationFeatureSpecs(view);
    // Whole minutes, so events land on tile boundaries.
    const anchor = Math.floor(Date.now() / MINUTE) * MINUTE;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }).chain((batchCount) =>
          fc.record({
            batch: eventsArb([0, 1], anchor).map((es) => es.slice(0, batchCount * 3)),
            ops: opsArb([0, 1], anchor),
          }),
        ),
        async ({ batch, ops }) => {
          // Drivers of this run only: earlier runs' state cannot leak into its answers.
          run++;
          const driver = (d: number) => run * 10 + d;
          for (const e of batch) {
            e.driver = driver(e.driver);
            csvRows.push(`${e.driver},${iso(e.ts)},${csvCell(e.fare)},${csvCell(e.city)}`);
          }
          await repo.write('data/trips.csv', `driver_id,event_timestamp,fare,city\n${csvRows.join('\n')}\n`);
          await store.compute();
          const offline: TestEvent[] = [...batch];
          let online: TestEvent[] = [];
          const pushed: { events: TestEvent[]; to: PushTarget; key: string }[] = [];
          for (const op of ops) {
            if (op.kind === 'push' || op.kind === 'retry') {
              const push =
                op.kind === 'push'
                  ? {
                      events: op.events.map((e) => ({ ...e, driver: driver(e.driver) })),
                      to: op.to,
                      key: `run${run}-${randomUUID()}`,
                    }
                  : pushed.at(-1);
              if (!push) continue;
              await pushEvents(push.events, push.to, push.key);
              if (op.kind === 'retry') continue;
              pushed.push(push);
              if (push.to !== 'offline') online.push(...push.events);
              if (push.to !== 'online') offline.push(...push.events);
            } else if (op.kind === 'materialize') {
              await store.materialize({
                start: new Date(anchor - 3 * 86_400_000),
                end: new Date(anchor + 3_600_000),
                log: () => {},
              });
              // Offline rows are now online too; pushes already online are the same rows, once.
              const seen = new Set(online);
              online = [...online, ...offline.filter((e) => !seen.has(e))];
            } else {
              const at = Math.max(anchor + op.offsetMinutes * MINUTE, Date.now() - 50 * MINUTE);
              const drivers = [driver(0), driver(1)];
              const answer = await store.getOnlineFeatures(
                { entities: { driver_id: drivers }, features: ['trip_aggs:*'] },
                { now: new Date(at) },
              );
              const refs = online.map(toRef);
              specs.forEach((spec, i) => {
                const column = answer.results[i + 1]!;
                drivers.forEach((d, row) => {
                  const expected = referenceValue(spec, refs, BigInt(d), BigInt(at) * 1000n, false);
                  expectAggregateEqual(column.values[row], expected, `${spec.name} of ${d} at ${iso(at)}`);
                  expect(column.statuses[row]).toBe(expected === null ? 'NULL_VALUE' : 'PRESENT');
                });
              });
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 300_000);
});
