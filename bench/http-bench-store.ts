/**
 * The feature repo the HTTP benchmarks serve, and the bare layout their baselines use, so the read
 * and push benchmarks and their bare routes all work on the same data: drivers keyed by `driver_id`,
 * push source `src`, 3 views × 4 features (float64, int64, string, float32). Each opened store lives
 * in its own scratch folder under its own Redis key prefix, and `close` removes both sides' keys.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { RepoDefinitions } from '../src/definitions/repo-definitions.ts';
import { FeatureStore } from '../src/feature-store.ts';
import { commitRegistry } from '../src/registry/registry-file.ts';
import { buildServer, serverOptionsFromConfig } from '../src/server/app.ts';

export const BENCH_VIEWS: readonly string[] = ['v1', 'v2', 'v3'];
export const PUSH_SOURCE = 'src';

export function featureNames(view: string): string[] {
  return [`${view}_a`, `${view}_b`, `${view}_c`, `${view}_d`];
}

/** Every feature column of the repo for these drivers: the values depend on the driver alone. */
export function featureColumns(drivers: readonly number[]): Record<string, unknown[]> {
  const df: Record<string, unknown[]> = {};
  for (const v of BENCH_VIEWS) {
    const [a, b, c, d] = featureNames(v) as [string, string, string, string];
    df[a] = drivers.map((i) => i / 7);
    df[b] = drivers.map((i) => i * 1_000_003);
    df[c] = drivers.map((i) => `name-${i}`);
    df[d] = drivers.map((i) => i / 3);
  }
  return df;
}

const definitions: RepoDefinitions = {
  entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
  sources: [{ kind: 'push', name: PUSH_SOURCE, timestampField: 'event_timestamp' }],
  featureViews: BENCH_VIEWS.map((v) => ({
    kind: 'batch' as const,
    name: v,
    entities: ['driver'],
    source: PUSH_SOURCE,
    ttl: 0,
    online: true,
    offline: true,
    features: [
      { name: `${v}_a`, type: 'float64' as const },
      { name: `${v}_b`, type: 'int64' as const },
      { name: `${v}_c`, type: 'string' as const },
      { name: `${v}_d`, type: 'float32' as const },
    ],
  })),
  featureServices: [],
};

export interface BenchStore {
  store: FeatureStore;
  /** A plain ioredis client on the same Redis, for the bare routes. */
  redis: Redis;
  /** The bare layout's hash of one driver: `<feature>` and `<view>_ts` fields as plain strings. */
  bareKey(driver: unknown): string;
  /** Removes Trove's keys, the bare keys and the scratch folder, and closes the connections. */
  close(): Promise<void>;
}

export async function openBenchStore(project: string): Promise<BenchStore> {
  const id = randomUUID().slice(0, 8);
  const dir = path.join(os.tmpdir(), `trove-${project}-${id}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'trove.yaml'), `project: ${project}\n`);
  const store = await FeatureStore.open(dir, {
    env: { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-${project}-${id}`, TROVE_API_KEYS: '' },
  });
  await commitRegistry(store.config.registryPath, project, 0, definitions);
  const redis = new Redis(store.config.onlineStore.redis);
  return {
    store,
    redis,
    bareKey: (driver) => `bare:${id}:{${String(driver)}}`,
    async close() {
      await store.teardown().catch(() => undefined);
      const stream = redis.scanStream({ match: `bare:${id}:*`, count: 1000 });
      for await (const keys of stream as AsyncIterable<string[]>)
        if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Trove's server as `trove serve` builds it (schema, auth, metrics hooks), without request logs. */
export async function listenTrove(store: FeatureStore): Promise<FastifyInstance> {
  const app = await buildServer(store, serverOptionsFromConfig(store.config, { logger: false }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

export function portOf(app: FastifyInstance): number {
  return (app.server.address() as AddressInfo).port;
}
