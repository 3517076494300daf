/**
 * Library online reads through `FeatureStore.getOnlineFeatures` (registry revalidation, feature
 * resolution, one HMGET per entity in one round trip, decoding, ttl, the response) for 1 entity ×
 * 3 views and 100 entities × 3 views, against bare ioredis issuing the same HMGETs (same keys, same
 * fields, same connection, sent the same way: one command alone, several in a pipeline) and leaving
 * the replies as raw buffers. The baseline does not decode, format or build an answer, so it is
 * the floor the library's own work is measured against. Target: throughput ≥ 90% of the baseline's.
 *
 * Throughput is measured at 16 concurrent reads for a fixed time; target and baseline alternate
 * over the repetitions so drift in the machine's state affects both alike, and the median of the
 * per-repetition ratios is reported. Latency (p50/p99) comes from sequential reads.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import type { EntityKeyBuilder } from '../../src/online/entity-key.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import type { OnlineWrite } from '../../src/online/write-newest.ts';
import { commitRegistry } from '../../src/registry/registry-file.ts';
import { median } from '../measure.ts';
import { percentile, REDIS_URL } from '../online-bench-common.ts';
import type { BenchResult, Scenario } from '../scenario.ts';

const PROJECT = 'bench';
const ENTITIES = 10_000;
const CONCURRENCY = 16;
/** Library throughput over the baseline's that the scenario must reach. */
const TARGET_RATIO = 0.9;
export const VIEWS = ['v1', 'v2', 'v3'];
export const FEATURE_REFS = VIEWS.map((v) => `${v}:*`);

const features = (prefix: string) => [
  { name: `${prefix}_a`, type: 'float64' },
  { name: `${prefix}_b`, type: 'int64' },
  { name: `${prefix}_c`, type: 'string' },
  { name: `${prefix}_d`, type: 'float32' },
];

const DEFINITIONS: RepoDefinitions = {
  entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
  sources: [sourceSchema.parse({ kind: 'push', name: 'src', timestampField: 'event_timestamp' })],
  featureViews: VIEWS.map((name) =>
    featureViewSchema.parse({ name, entities: ['driver'], source: 'src', features: features(name) }),
  ),
  featureServices: [],
};

/**
 * A feature repo holding only a config and an applied registry (push sources need no data); `env`
 * adds to the environment its config reads (TROVE_REDIS_CLUSTER for a cluster).
 */
export async function makeRepo(
  dir: string,
  keyPrefix: string,
  env: Record<string, string> = {},
): Promise<FeatureStore> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'trove.yaml'),
    `project: ${PROJECT}\nonlineStore:\n  keyPrefix: ${keyPrefix}\n  commandTimeoutMs: 30000\n`,
  );
  await commitRegistry(path.join(dir, '.trove', 'registry.json'), PROJECT, 0, DEFINITIONS);
  return FeatureStore.open(dir, { env: { REDIS_URL, ...env } });
}

export async function populate(store: FeatureStore): Promise<void> {
  const registry = await store.registry();
  const online = store.online();
  const writes: OnlineWrite[] = [];
  const now = BigInt(Date.now()) * 1000n;
  for (const view of VIEWS) {
    const codec = online.codec(registry, view);
    for (let i = 0; i < ENTITIES; i++) {
      const values = [i / 7, BigInt(i) * 1_000_003n, `name-${i}`, i % 100];
      writes.push({
        key: online.keys.entity(codec.entityKeys.text([BigInt(i)])),
        field: codec.field,
        tieTypes: codec.tieTypes,
        value: codec.encode(now, null, (f) => values[f]),
      });
    }
  }
  await online.write(writes);
}

export function idsFor(n: number, round: number): number[] {
  return Array.from({ length: n }, (_, i) => (round * 131 + i * 97) % ENTITIES);
}

export type Op = (round: number) => Promise<unknown>;

export async function latencies(op: Op, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op(i);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

export async function throughput(op: Op, seconds: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
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
  return (done * 1000) / (performance.now() - started);
}

/**
 * The same HMGETs with the same keys as the library sends, sent as it sends them (a lone command
 * without a pipeline), answers left as raw buffers.
 */
export function bareRead(
  online: OnlineStore,
  builder: EntityKeyBuilder,
  fields: readonly string[],
  n: number,
): Op {
  const client = online.client;
  return async (round) => {
    const ids = idsFor(n, round);
    if (ids.length === 1) return client.hmgetBuffer(online.keys.entity(builder.text(ids)), ...fields);
    const p = client.pipeline();
    for (const id of ids) p.hmgetBuffer(online.keys.entity(builder.text([id])), ...fields);
    return p.exec();
  };
}

export const scenario: Scenario = {
  name: 'online.lib',
  description: 'library online reads (1 and 100 entities × 3 views) vs a bare ioredis pipeline',
  async run(ctx) {
    const seconds = ctx.quick ? 0.5 : 3;
    const sequential = ctx.quick ? 300 : 3000;
    const store = await makeRepo(path.join(ctx.workDir, 'repo'), `trove-bench-${randomUUID().slice(0, 8)}`);
    const results: BenchResult[] = [];
    try {
      await populate(store);
      const online = store.online();
      const registry = await store.registry();
      const fields = VIEWS.map((v) => online.codec(registry, v).field);
      const builder = online.codec(registry, 'v1').entityKeys;
      for (const n of [1, 100]) {
        const label = `${n === 1 ? '1 entity' : `${n} entities`} × 3 views`;
        const lib: Op = (round) =>
          store.getOnlineFeatures({ entities: { driver_id: idsFor(n, round) }, features: FEATURE_REFS });
        const bare = bareRead(online, builder, fields, n);
        // Warm both paths (JIT, connection, caches) before anything is counted.
        for (let i = 0; i < 500; i++) {
          await lib(i);
          await bare(i);
        }
        const libRates: number[] = [];
        const bareRates: number[] = [];
        const ratios: number[] = [];
        for (let rep = 0; rep < ctx.repetitions; rep++) {
          const l = await throughput(lib, seconds);
          const b = await throughput(bare, seconds);
          libRates.push(l);
          bareRates.push(b);
          ratios.push(l / b);
          ctx.log(`${n} entities, repetition ${rep + 1}: ${Math.round(l)} vs ${Math.round(b)} reads/s`);
        }
        const libTimes = await latencies(lib, sequential);
        const bareTimes = await latencies(bare, sequential);
        results.push({
          name: `${label}, reads/s`,
          value: median(libRates),
          unit: 'reads/s',
          baseline: median(bareRates),
          baseline_name: 'bare ioredis pipeline',
          ratio: median(ratios),
          higher_is_better: true,
          target: TARGET_RATIO,
          passed: median(ratios) >= TARGET_RATIO,
        });
        for (const p of [50, 99]) {
          const value = percentile(libTimes, p);
          const baseline = percentile(bareTimes, p);
          results.push({
            name: `${label}, p${p} latency (sequential)`,
            value: value * 1000,
            unit: 'µs',
            baseline: baseline * 1000,
            baseline_name: 'bare ioredis pipeline',
            ratio: value / baseline,
            higher_is_better: false,
            target: null,
            passed: null,
          });
        }
      }
      return results;
    } finally {
      await store.teardown();
      await store.close();
    }
  },
};
