/**
 * The online store of one project in Redis: reads, newest-wins writes, health, teardown and the
 * background reclaiming of values no view reads any more. Key and value layout:
 * docs/online-store.md.
 */
import type { Redis } from 'ioredis';
import type { FeatureView } from '../definitions/feature-view.ts';
import { isBatchView } from '../definitions/view-kinds.ts';
import { UnavailableError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { AggregationCodec } from './aggregation/aggregation-codec.ts';
import { withSlotRefresh } from './cluster-redirects.ts';
import { InsertFirst } from './insert-first.ts';
import { NewestWriteBatch } from './newest-write-batch.ts';
import { OnlineKeys } from './online-keys.ts';
import type { OnlineFeaturesRequest, OnlineFeaturesResponse } from './online-response.ts';
import { planKey, planRead, type ReadPlan, readOnline } from './read-online.ts';
import {
  createRedisClient,
  describeTarget,
  isCluster,
  type OnlineStoreConfig,
  type RedisClient,
  redisFailure,
  withDeadline,
} from './redis-client.ts';
import { RespCluster } from './resp/resp-cluster.ts';
import { isRespUrl, RespConnection, type RespConnectionOptions } from './resp/resp-connection.ts';
import { sentinelMaster } from './resp/sentinel-master.ts';
import { ViewCodec } from './view-codec.ts';
import { type WaitReplicas, waitOnClient, waitOnConnection } from './wait-replicas.ts';
import {
  type OnlineWrite,
  OnlineWriteList,
  sendNewestBatch,
  type WriteBatch,
  writeNewest,
} from './write-newest.ts';

const SCAN_COUNT = 1000;
/** Distinct feature lists remembered per registry version; past it the cache starts over. */
const MAX_PLANS = 1000;

const NO_FEATURES: readonly string[] = [];

/** Hands a failure on as it is, for a caller that maps it itself. */
const rethrow = (err: unknown): never => {
  throw err;
};

/** A plan with the request fields its key is made of. */
interface LastPlan {
  registry: Registry;
  features: readonly string[];
  service: string | undefined;
  full: boolean;
  plan: ReadPlan;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What `build` makes of a view of a registry version, made once per (registry, view). */
function perRegistry<T>(
  cache: WeakMap<Registry, Map<string, T>>,
  registry: Registry,
  viewName: string,
  build: (view: FeatureView) => T,
): T {
  let map = cache.get(registry);
  if (!map) {
    map = new Map();
    cache.set(registry, map);
  }
  let value = map.get(viewName);
  if (value === undefined) {
    const view = registry.featureView(viewName);
    if (!view) throw new Error(`unknown feature view ${viewName}`);
    value = build(view);
    map.set(viewName, value);
  }
  return value;
}

/**
 * How the store's own connections reach a standalone or Sentinel-watched master; undefined when
 * the URL is one only the general client serves.
 */
function ownConnectionOptions(config: OnlineStoreConfig): RespConnectionOptions | undefined {
  const common = { connectTimeoutMs: config.connectTimeoutMs, commandTimeoutMs: config.commandTimeoutMs };
  const sentinel = config.sentinel;
  if (sentinel) {
    const auth = sentinel.password ? `:${encodeURIComponent(sentinel.password)}@` : '';
    return {
      ...common,
      // The host is a placeholder: `address` names the master before every connect.
      url: `redis://${auth}sentinel-master`,
      address: sentinelMaster({
        ...common,
        sentinels: sentinel.sentinels,
        name: sentinel.name,
        sentinelPassword: sentinel.sentinelPassword,
      }),
      requireMaster: true,
    };
  }
  return isRespUrl(config.redis) ? { ...common, url: config.redis } : undefined;
}

export class OnlineStore {
  /** See `client`; created on first use. */
  private general: RedisClient | undefined;
  private closed = false;
  /**
   * The store's own lean connection for reads and newest-wins writes on a standalone Redis (see
   * resp-connection.ts); undefined in a cluster.
   */
  readonly fast: RespConnection | undefined;
  /**
   * The store's own connections for reads in a cluster, one per master (see resp-cluster.ts);
   * undefined on a standalone Redis.
   */
  readonly clusterReads: RespCluster | undefined;
  /**
   * A second own connection for materialization's large batches, so they never queue ahead of
   * reads on `fast`; opened on first use.
   */
  private bulk: RespConnection | undefined;
  /** Whether materialization batches try plain inserts before the script (insert-first.ts). */
  private readonly insertFirst = new InsertFirst();
  readonly keys: OnlineKeys;
  readonly target: string;
  private readonly config: OnlineStoreConfig;
  /** How the store's own connections reach the master; undefined in a cluster. */
  private readonly respOptions: RespConnectionOptions | undefined;
  /** `onlineStore.waitReplicas`, when writes must be confirmed by replicas. */
  private readonly waitReplicas: WaitReplicas | undefined;
  private codecs = new WeakMap<Registry, Map<string, ViewCodec>>();
  private aggregationCodecs = new WeakMap<Registry, Map<string, AggregationCodec>>();
  private plans = new WeakMap<Registry, Map<string, ReadPlan>>();
  /**
   * The plan found last, with what it was asked for: a caller repeating one request (the usual
   * serving pattern) gets it back by comparing a few strings, without building its key.
   */
  private lastPlan: LastPlan | undefined;

  constructor(config: OnlineStoreConfig, project: string, client?: RedisClient) {
    this.config = config;
    this.general = client;
    this.respOptions =
      !(client && isCluster(client)) && !(config.cluster && config.cluster.length > 0)
        ? ownConnectionOptions(config)
        : undefined;
    this.fast = this.respOptions ? new RespConnection(this.respOptions) : undefined;
    this.waitReplicas =
      config.waitReplicas > 0
        ? { replicas: config.waitReplicas, timeoutMs: config.waitReplicasTimeoutMs }
        : undefined;
    this.clusterReads =
      config.cluster && config.cluster.length > 0
        ? new RespCluster({
            nodes: config.cluster,
            connectTimeoutMs: config.connectTimeoutMs,
            commandTimeoutMs: config.commandTimeoutMs,
          })
        : undefined;
    this.keys = new OnlineKeys(config.keyPrefix, project);
    this.target = describeTarget(config);
  }

  /**
   * The general client: scans, watermarks, locks, and reads and writes in a cluster. Opened on
   * first use, so a process that only reads a standalone Redis never loads or connects it.
   */
  get client(): RedisClient {
    if (!this.general) {
      // A late caller (a timer firing after close) must not open a connection nobody closes.
      if (this.closed) throw new UnavailableError(`${this.target}: the online store is closed`);
      this.general = createRedisClient(this.config);
    }
    return this.general;
  }

  /** Longest a single request may take before it is reported as unavailable. */
  get deadlineMs(): number {
    return this.config.connectTimeoutMs + this.config.commandTimeoutMs;
  }

  /** The codec of a view in a registry version; built once per registry. */
  codec(registry: Registry, viewName: string): ViewCodec {
    return perRegistry(this.codecs, registry, viewName, (view) => ViewCodec.of(registry, view));
  }

  /** The online form of an aggregation view in a registry version; built once per registry. */
  aggregationCodec(registry: Registry, viewName: string): AggregationCodec {
    return perRegistry(this.aggregationCodecs, registry, viewName, (view) => {
      if (view.kind !== 'aggregation') throw new Error(`${viewName} is not an aggregation view`);
      return new AggregationCodec(view, registry.joinKeysOf(view));
    });
  }

  /** The resolved form of a request's features in a registry version; built once per version. */
  plan(registry: Registry, request: OnlineFeaturesRequest): ReadPlan {
    const last = this.lastPlan;
    const features = request.features ?? NO_FEATURES;
    const full = request.fullFeatureNames ?? false;
    if (
      last !== undefined &&
      last.registry === registry &&
      last.service === request.service &&
      last.full === full &&
      sameStrings(last.features, features)
    )
      return last.plan;
    let map = this.plans.get(registry);
    if (!map) {
      map = new Map();
      this.plans.set(registry, map);
    }
    const key = planKey(request);
    let plan = map.get(key);
    if (!plan) {
      plan = planRead(
        registry,
        (name) => this.codec(registry, name),
        (name) => this.aggregationCodec(registry, name),
        request,
      );
      if (map.size >= MAX_PLANS) map.clear();
      map.set(key, plan);
    }
    // A copy: the caller may change its array after the read.
    this.lastPlan = { registry, features: [...features], service: request.service, full, plan };
    return plan;
  }

  /** Maps an online read's Redis failure to an UnavailableError (TroveErrors pass through). */
  private readonly readFailure = (err: unknown): never => {
    throw redisFailure(err, this.target, 'online read');
  };

  /**
   * Not an async function on purpose: on a standalone Redis the read's own promise is the answer,
   * without an async wrapper's promise and turns around it.
   */
  read(
    registry: Registry,
    request: OnlineFeaturesRequest,
    nowMs = Date.now(),
  ): Promise<OnlineFeaturesResponse> {
    let plan: ReadPlan;
    try {
      plan = this.plan(registry, request);
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      // On the store's own connections every command times out by itself, queued ones included, so
      // a read needs no timer of its own.
      if (this.fast) return readOnline(this.fast, this.keys, plan, request, nowMs, this.readFailure);
      if (this.clusterReads)
        return readOnline(this.clusterReads, this.keys, plan, request, nowMs, this.readFailure);
      const client = this.client;
      if (isCluster(client)) {
        // Cluster clients queue commands while they discover slots, outside the per-command timeout.
        return withDeadline(
          withSlotRefresh(client, () => readOnline(client, this.keys, plan, request, nowMs, rethrow)),
          this.deadlineMs,
          this.target,
          'online read',
        );
      }
      return readOnline(client, this.keys, plan, request, nowMs, this.readFailure);
    } catch (err) {
      return Promise.reject(redisFailure(err, this.target, 'online read'));
    }
  }

  /**
   * The own connection for writes that are waited on and for large batches, so neither queues
   * ahead of reads on `fast` (WAIT holds every later command of its connection); opened on first use.
   */
  private get writes(): RespConnection {
    this.bulk ??= new RespConnection(this.respOptions!);
    return this.bulk;
  }

  /** Writes rows under the newest-wins rule; resolves to how many replaced the stored value. */
  async write(writes: readonly OnlineWrite[]): Promise<number> {
    try {
      if (this.fast) {
        const connection = this.waitReplicas ? this.writes : this.fast;
        const written = await writeNewest(connection, writes);
        if (this.waitReplicas && writes.length > 0)
          await waitOnConnection(connection, this.waitReplicas, this.target);
        return written;
      }
      const written = await writeNewest(this.client, writes);
      if (this.waitReplicas && writes.length > 0)
        await waitOnClient(this.client, this.waitReplicas, this.target);
      return written;
    } catch (err) {
      throw redisFailure(err, this.target, 'online write');
    }
  }

  /** An empty batch of rows for `writeBatch`, in the form this store's connection sends fastest. */
  createWriteBatch(): WriteBatch {
    return this.fast ? new NewestWriteBatch(this.keys) : new OnlineWriteList(this.keys);
  }

  /** Writes a batch from `createWriteBatch` under the newest-wins rule; resolves to rows replaced. */
  async writeBatch(batch: WriteBatch): Promise<number> {
    try {
      if (batch instanceof NewestWriteBatch && this.fast) {
        const connection = this.writes;
        const written = await sendNewestBatch(connection, batch, this.insertFirst);
        if (this.waitReplicas) await waitOnConnection(connection, this.waitReplicas, this.target);
        return written;
      }
      if (batch instanceof OnlineWriteList) {
        const written = await writeNewest(this.client, batch.writes);
        if (this.waitReplicas && batch.writes.length > 0)
          await waitOnClient(this.client, this.waitReplicas, this.target);
        return written;
      }
    } catch (err) {
      throw redisFailure(err, this.target, 'online write');
    }
    throw new Error('a write batch from another store');
  }

  async ping(): Promise<void> {
    await withDeadline(this.client.ping(), this.deadlineMs, this.target, 'ping');
  }

  private masters(): Redis[] {
    return isCluster(this.client) ? this.client.nodes('master') : [this.client];
  }

  private async scanEach(
    pattern: string,
    visit: (node: Redis, keys: string[]) => Promise<void>,
  ): Promise<void> {
    for (const node of this.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length > 0) await visit(node, keys);
      } while (cursor !== '0');
    }
  }

  /** Removes every key of the project (values, watermarks, locks); resolves to the keys removed. */
  async teardown(): Promise<number> {
    let removed = 0;
    try {
      await this.scanEach(this.keys.projectPattern, async (node, keys) => {
        // One key per command: keys of a scan batch are in different slots.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [err, n] of (await pipeline.exec()) ?? []) {
          if (err) throw err;
          removed += Number(n);
        }
      });
    } catch (err) {
      throw redisFailure(err, this.target, 'teardown');
    }
    return removed;
  }

  /**
   * Frees values that no view of `registry` reads: fields of deleted views and of old schemas.
   * Readers never see them (they ask for current fields only), so this can run any time, slowly.
   */
  async reclaimStaleFields(registry: Registry): Promise<number> {
    const live = new Set(
      registry
        .featureViews()
        .filter(isBatchView)
        .map((v) => this.codec(registry, v.name).field),
    );
    let removed = 0;
    try {
      await this.scanEach(this.keys.entityPattern, async (node, keys) => {
        const read = node.pipeline();
        for (const key of keys) read.hkeys(key);
        const fieldLists = (await read.exec()) ?? [];
        const del = node.pipeline();
        let pending = 0;
        fieldLists.forEach(([err, fields], i) => {
          if (err) throw err;
          const stale = (fields as string[]).filter((f) => !live.has(f));
          if (stale.length > 0) {
            del.hdel(keys[i]!, ...stale);
            pending++;
          }
        });
        if (pending === 0) return;
        for (const [err, n] of (await del.exec()) ?? []) {
          if (err) throw err;
          removed += Number(n);
        }
      });
    } catch (err) {
      throw redisFailure(err, this.target, 'reclaiming stale values');
    }
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    const general = this.general;
    await Promise.all([this.fast?.close(), this.bulk?.close(), this.clusterReads?.close()]);
    if (!general) return;
    try {
      await withDeadline(general.quit(), this.deadlineMs, this.target, 'quit');
    } catch {
      general.disconnect();
    }
  }
}
