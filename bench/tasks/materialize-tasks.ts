/**
 * Work measured by the materialize scenario, run in child processes (see measure.ts): the offline
 * rows, Trove's Parquet → Redis materialization, and the bare pipelined HSET writer it is compared
 * with. Each writes under its own key prefix and removes its keys afterwards, outside the timing.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ResolvedConfig, troveConfigSchema } from '../../src/config/trove-config.ts';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { materialize } from '../../src/materialize/materialize.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';
import type { OnlineWrite } from '../../src/online/write-newest.ts';
import { Registry } from '../../src/registry/registry.ts';
import { benchStore, REDIS_URL } from '../online-bench-common.ts';

const PROJECT = 'bench';

/** What a writer reports: rows written and the seconds the writing itself took. */
export interface WriteRun {
  rows: number;
  seconds: number;
  /** CPU time of the writer's process (all threads) over the same span. */
  cpuSeconds?: number;
  /** CPU time of the Redis server over the same span (all of its clients: others' work too). */
  redisCpuSeconds?: number;
}

/** The Redis server's CPU time so far (user + system), from INFO. */
async function redisCpu(store: ReturnType<typeof benchStore>): Promise<number> {
  const info = await store.client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Starts counting wall, process CPU and Redis CPU; the returned function ends the span. */
async function span(store: ReturnType<typeof benchStore>): Promise<() => Promise<Omit<WriteRun, 'rows'>>> {
  const redis0 = await redisCpu(store);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  return async () => {
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      redisCpuSeconds: (await redisCpu(store)) - redis0,
    };
  };
}

/** The view, over a Parquet source in `dir` (compute reads it; materialization reads the store). */
export const benchRegistry = (dir: string): Registry =>
  Registry.of(PROJECT, {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [
      sourceSchema.parse({
        kind: 'parquet',
        name: 'src',
        path: path.join(dir, 'src', 'wide.parquet'),
        timestampField: 'event_timestamp',
      }),
    ],
    featureViews: [
      featureViewSchema.parse({
        name: 'wide',
        entities: ['driver'],
        source: 'src',
        features: [
          { name: 'f0', type: 'int64' },
          { name: 'f1', type: 'int64' },
          { name: 'f2', type: 'int32' },
          { name: 'f3', type: 'float64' },
          { name: 'f4', type: 'float64' },
          { name: 'f5', type: 'float32' },
          { name: 'f6', type: 'string' },
          { name: 'f7', type: 'bool' },
          { name: 'f8', type: 'timestamp' },
          { name: 'f9', type: 'string' },
        ],
      }),
    ],
    featureServices: [],
  });

/** One row per entity, so every row is written (newest-wins has nothing to skip). */
const rowsSql = (rows: number) => `SELECT i::BIGINT AS driver_id,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((i % 86400000000)::BIGINT) AS event_timestamp,
  NULL::TIMESTAMPTZ AS created_timestamp,
  (i * 7919)::BIGINT AS f0, (i - 500000)::BIGINT AS f1, (i % 1000)::INTEGER AS f2, i / 3.0 AS f3, sqrt(i) AS f4,
  (i % 97)::FLOAT AS f5, 'name-' || i AS f6, i % 2 = 0 AS f7,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i::BIGINT) AS f8, md5(i::VARCHAR) AS f9
FROM range(${rows}) t(i)`;

const offlineStorePath = (dir: string) => path.join(dir, 'offline');

function offlineConfig(dir: string): ResolvedConfig {
  return {
    ...troveConfigSchema.parse({ project: PROJECT, offlineStore: { memoryLimit: '1GB', threads: 2 } }),
    repoDir: dir,
    registryPath: path.join(dir, 'registry.json'),
    offlineStorePath: offlineStorePath(dir),
    dataDirs: [],
  };
}

/** The config of a materialization over the bench's offline store into Redis under `keyPrefix`. */
export function materializeBenchConfig(dir: string, keyPrefix: string): ResolvedConfig {
  const config = offlineConfig(dir);
  return {
    ...config,
    onlineStore: { ...config.onlineStore, redis: REDIS_URL, keyPrefix, commandTimeoutMs: 30_000 },
  };
}

/** Writes the source and computes the view into the offline store, as `trove compute` does, once. */
export async function generateMaterializeData(args: { dir: string; rows: number }): Promise<string> {
  const folder = viewFolder(offlineStorePath(args.dir), 'wide');
  if (
    await stat(folder).then(
      () => true,
      () => false,
    )
  )
    return 'cached';
  await mkdir(path.join(args.dir, 'src'), { recursive: true });
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  await connection.run(
    `COPY (SELECT * EXCLUDE (created_timestamp) FROM (${rowsSql(args.rows)}))
     TO ${quoteString(path.join(args.dir, 'src', 'wide.parquet'))} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  await computeViews(offlineConfig(args.dir), benchRegistry(args.dir));
  return 'generated';
}

/** Trove's pipeline: Parquet read by DuckDB, encoded, written under the newest-wins rule. */
export async function troveMaterialize(args: { dir: string }): Promise<WriteRun> {
  const store = benchStore(PROJECT);
  try {
    const config = offlineConfig(args.dir);
    const registry = benchRegistry(args.dir);
    const end = await span(store);
    const [stats] = await materialize(
      { config, registry, online: store, log: () => {} },
      { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') },
    );
    return { rows: stats?.rows ?? 0, ...(await end()) };
  } finally {
    await store.teardown();
    await store.close();
  }
}

/** The same rows, encoded by the same codec, held in memory before the timing starts. */
async function encodedRows(
  store: ReturnType<typeof benchStore>,
  dir: string,
  rows: number,
): Promise<OnlineWrite[]> {
  const codec = store.codec(benchRegistry(dir), 'wide');
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  const result = await connection.stream(
    `SELECT driver_id, epoch_us(event_timestamp), f0, f1, f2, f3, f4, f5, f6, f7, epoch_us(f8), f9 FROM (${rowsSql(rows)})`,
  );
  const out: OnlineWrite[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const cols = chunk.getColumns();
    for (let r = 0; r < chunk.rowCount; r++) {
      out.push({
        key: store.keys.entity(codec.entityKeys.text([cols[0]![r]])),
        field: codec.field,
        tieTypes: codec.tieTypes,
        value: codec.encode(cols[1]![r] as bigint, null, (i) => cols[2 + i]![r]),
      });
    }
  }
  connection.closeSync();
  instance.closeSync();
  return out;
}

/** The baseline: plain pipelined HSETs (10k per pipeline, two in flight), no script, no reading. */
export async function bareHset(args: { dir: string; rows: number }): Promise<WriteRun> {
  const store = benchStore(PROJECT);
  try {
    const rows = await encodedRows(store, args.dir, args.rows);
    const end = await span(store);
    const BATCH = 10_000;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const p = store.client.pipeline();
      for (let j = i; j < Math.min(i + BATCH, rows.length); j++)
        p.hset(rows[j]!.key, rows[j]!.field, rows[j]!.value);
      inFlight.push(p.exec());
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return { rows: rows.length, ...(await end()) };
  } finally {
    await store.teardown();
    await store.close();
  }
}
