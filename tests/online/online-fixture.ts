/**
 * Test fixtures for the online store: a registry built in code and an OnlineStore on the real
 * Redis at REDIS_URL (or the Redis Cluster at TROVE_REDIS_CLUSTER) under a key prefix of its own,
 * removed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { troveConfigSchema } from '../../src/config/trove-config.ts';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureServiceSchema } from '../../src/definitions/feature-service.ts';
import { type FeatureViewInput, featureViewSchema } from '../../src/definitions/feature-view.ts';
import { type SourceInput, sourceSchema } from '../../src/definitions/source.ts';
import { OnlineStore } from '../../src/online/online-store.ts';
import type { OnlineStoreConfig } from '../../src/online/redis-client.ts';
import type { OnlineWrite } from '../../src/online/write-newest.ts';
import { Registry } from '../../src/registry/registry.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * The Redis Cluster the online tests run against instead, when TROVE_REDIS_CLUSTER names one (the
 * `cluster` test project sets it; child processes and FeatureStore configs pick it up as well).
 */
export const CLUSTER_NODES = (process.env.TROVE_REDIS_CLUSTER ?? '').split(',').filter(Boolean);
export const ON_CLUSTER = CLUSTER_NODES.length > 0;
export const PROJECT = 'proj';

export function uniquePrefix(): string {
  return `trove-test-${randomUUID().slice(0, 8)}`;
}

export function onlineConfig(
  keyPrefix: string,
  overrides: Partial<OnlineStoreConfig> = {},
): OnlineStoreConfig {
  return {
    ...troveConfigSchema.parse({ project: PROJECT }).onlineStore,
    redis: REDIS_URL,
    // A test naming its own Redis (a stalled one, one that refuses connections) means that one.
    ...(ON_CLUSTER && overrides.redis === undefined ? { cluster: CLUSTER_NODES } : {}),
    keyPrefix,
    ...overrides,
  };
}

export function openStore(
  keyPrefix = uniquePrefix(),
  overrides: Partial<OnlineStoreConfig> = {},
): OnlineStore {
  return new OnlineStore(onlineConfig(keyPrefix, overrides), PROJECT);
}

export interface RegistrySpec {
  views: FeatureViewInput[];
  sources?: SourceInput[];
  services?: { name: string; features: string[] }[];
}

/** Entities `driver` (driver_id int64) and `customer` (customer_id string), plus the given views. */
export function makeRegistry(spec: RegistrySpec): Registry {
  const sources = spec.sources ?? [{ kind: 'push', name: 'src', timestampField: 'event_timestamp' }];
  return Registry.of(PROJECT, {
    entities: [
      entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }),
      entitySchema.parse({ name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] }),
    ],
    sources: sources.map((s) => sourceSchema.parse(s)),
    featureViews: spec.views.map((v) => featureViewSchema.parse(v)),
    featureServices: (spec.services ?? []).map((s) => featureServiceSchema.parse(s)),
  });
}

/** A row of a view to write: join key values, event and created time (µs), features. */
export interface FixtureRow {
  key: unknown[];
  event: bigint;
  created?: bigint | null;
  values: unknown[];
}

/** Encodes rows of a view as the store writes them. */
export function encodeRows(
  store: OnlineStore,
  registry: Registry,
  viewName: string,
  rows: readonly FixtureRow[],
): OnlineWrite[] {
  const codec = store.codec(registry, viewName);
  return rows.map((r) => ({
    key: store.keys.entity(codec.entityKeys.text(r.key)),
    field: codec.field,
    tieTypes: codec.tieTypes,
    value: codec.encode(r.event, r.created ?? null, (i) => r.values[i]),
  }));
}

/** Encodes and writes rows of a view directly (the path push and materialize share). */
export async function writeRows(
  store: OnlineStore,
  registry: Registry,
  viewName: string,
  rows: readonly FixtureRow[],
): Promise<number> {
  return store.write(encodeRows(store, registry, viewName, rows));
}

/**
 * Counts the socket writes a store's reads make from now on, per connection: the store's own
 * connection on a standalone Redis, its connection to each node on a cluster. Each write is one
 * round trip for what it carried. `stop` ends the count and resolves to the writes of each.
 */
export async function countWrites(store: OnlineStore): Promise<{ stop(): number[] }> {
  // The slot map first: loading it is not part of what is counted.
  await store.clusterReads?.refresh();
  const connections = store.fast ? [store.fast] : (store.clusterReads?.nodeConnections ?? []);
  if (connections.length === 0) throw new Error('countWrites needs the store own connections');
  const before = connections.map((c) => c.writes);
  return { stop: () => connections.map((c, i) => c.writes - before[i]!) };
}
