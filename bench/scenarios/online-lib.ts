/**
 * Library online reads: 1 entity × 3 views and 100 entities × 3 views, p50/p99 latency of sequential
 * reads and throughput at 16 concurrent reads, against a bare ioredis pipeline issuing the same
 * HMGETs without decoding, in the same run. Target: throughput ≥ 80% of the bare pipeline's.
 */
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import type { OnlineWrite } from '../../src/online/write-newest.ts';
import { Registry } from '../../src/registry/registry.ts';
import { type BenchScenario, benchStore, percentile, runIfMain } from '../online-bench-common.ts';

const PROJECT = 'bench';
const ENTITIES = 10_000;
const SEQUENTIAL = Number(process.env.BENCH_ONLINE_SEQUENTIAL ?? 3000);
const CONCURRENT_SECONDS = Number(process.env.BENCH_ONLINE_SECONDS ?? 3);
const CONCURRENCY = 16;

const features = (prefix: string) => [
  { name: `${prefix}_a`, type: 'float64' },
  { name: `${prefix}_b`, type: 'int64' },
  { name: `${prefix}_c`, type: 'string' },
  { name: `${prefix}_d`, type: 'float32' },
];
const VIEWS = ['v1', 'v2', 'v3'];
const registry = new Registry({
  formatVersion: 1,
  project: PROJECT,
  version: 1,
  hash: '',
  appliedAt: null,
  objects: {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [sourceSchema.parse({ kind: 'push', name: 'src', timestampField: 'event_timestamp' })],
    featureViews: VIEWS.map((name) =>
      featureViewSchema.parse({ name, entities: ['driver'], source: 'src', features: features(name) }),
    ),
    featureServices: [],
  },
});
const FEATURE_REFS = VIEWS.map((v) => `${v}:*`);

async function populate(store: OnlineStore): Promise<void> {
  const writes: OnlineWrite[] = [];
  const now = BigInt(Date.now()) * 1000n;
  for (const view of VIEWS) {
    const codec = store.codec(registry, view);
    for (let i = 0; i < ENTITIES; i++) {
      const values = [i / 7, BigInt(i) * 1_000_003n, `name-${i}`, i % 100];
      writes.push({
        key: store.keys.entity(codec.entityKeys.text([BigInt(i)])),
        field: codec.field,
        value: codec.encode(now, null, (f) => values[f]),
      });
    }
  }
  await store.write(writes);
}

function idsFor(n: number, round: number): number[] {
  return Array.from({ length: n }, (_, i) => (round * 131 + i * 97) % ENTITIES);
}

async function measure(
  op: (round: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number; perSecond: number }> {
  for (let i = 0; i < 200; i++) await op(i);
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await op(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  let done = 0;
  const until = performance.now() + CONCURRENT_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let round = w;
      while (performance.now() < until) {
        await op(round);
        round += CONCURRENCY;
        done++;
      }
    }),
  );
  return { p50: percentile(times, 50), p99: percentile(times, 99), perSecond: done / CONCURRENT_SECONDS };
}

export const scenario: BenchScenario = {
  name: 'online-lib',
  description: 'library online reads (1 and 100 entities × 3 views) vs a bare ioredis pipeline',
  async run() {
    const store = benchStore(PROJECT);
    try {
      await populate(store);
      const fields = VIEWS.map((v) => store.codec(registry, v).field);
      const builder = store.codec(registry, 'v1').entityKeys;
      const metrics: Record<string, number> = {};
      let pass = true;
      for (const n of [1, 100]) {
        const lib = await measure((round) =>
          store.read(registry, { entities: { driver_id: idsFor(n, round) }, features: FEATURE_REFS }),
        );
        const bare = await measure(async (round) => {
          const p = store.client.pipeline();
          for (const id of idsFor(n, round)) p.hmgetBuffer(store.keys.entity(builder.text([id])), ...fields);
          return p.exec();
        });
        const ratio = lib.perSecond / bare.perSecond;
        Object.assign(metrics, {
          [`e${n}_lib_p50_ms`]: Number(lib.p50.toFixed(3)),
          [`e${n}_lib_p99_ms`]: Number(lib.p99.toFixed(3)),
          [`e${n}_lib_reads_per_s`]: Math.round(lib.perSecond),
          [`e${n}_bare_p50_ms`]: Number(bare.p50.toFixed(3)),
          [`e${n}_bare_p99_ms`]: Number(bare.p99.toFixed(3)),
          [`e${n}_bare_reads_per_s`]: Math.round(bare.perSecond),
          [`e${n}_ratio`]: Number(ratio.toFixed(3)),
        });
        if (ratio < 0.8) pass = false;
      }
      return { name: 'online-lib', metrics: { ...metrics, target: 0.8 }, pass };
    } finally {
      await store.teardown();
      await store.close();
    }
  },
};

await runIfMain(import.meta.url, scenario);
