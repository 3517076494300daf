/**
 * Materialization throughput: 1M offline rows × 10 features (1M entities, so every row is written)
 * through DuckDB, the codec and the newest-wins script, against a bare ioredis writer issuing
 * pipelined HSETs of the same encoded rows already in memory, in the same run. Target: ≥ 60% of
 * the bare writer's rows/s. Also reports the peak RSS sampled during materialization.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { troveConfigSchema } from '../../src/config/trove-config.ts';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { materialize } from '../../src/materialize/materialize.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';
import type { OnlineWrite } from '../../src/online/write-newest.ts';
import { Registry } from '../../src/registry/registry.ts';
import { type BenchScenario, benchStore, runIfMain } from '../online-bench-common.ts';

const ROWS = Number(process.env.BENCH_MATERIALIZE_ROWS ?? 1_000_000);
const PROJECT = 'bench';

const registry = new Registry({
  formatVersion: 1,
  project: PROJECT,
  version: 1,
  hash: '',
  appliedAt: null,
  objects: {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [sourceSchema.parse({ kind: 'push', name: 'src', timestampField: 'event_timestamp' })],
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
  },
});

const SELECT = `SELECT i::BIGINT AS driver_id,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((i % 86400000000)::BIGINT) AS event_timestamp,
  NULL::TIMESTAMPTZ AS created_timestamp,
  (i * 7919)::BIGINT AS f0, (i - 500000)::BIGINT AS f1, (i % 1000)::INTEGER AS f2, i / 3.0 AS f3, sqrt(i) AS f4,
  (i % 97)::FLOAT AS f5, 'name-' || i AS f6, i % 2 = 0 AS f7,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i::BIGINT) AS f8, md5(i::VARCHAR) AS f9
FROM range(${ROWS}) t(i)`;

async function writeData(offlineStorePath: string): Promise<void> {
  const { instance, connection } = await openDuckDb({ threads: 4 });
  const folder = viewFolder(offlineStorePath, 'wide');
  await mkdir(folder, { recursive: true });
  await connection.run(
    `COPY (SELECT *, strftime(event_timestamp, '%Y-%m-%d') AS date FROM (${SELECT})) TO ${quoteString(folder)} (FORMAT parquet, PARTITION_BY (date))`,
  );
  connection.closeSync();
  instance.closeSync();
}

/** The same rows, encoded, in memory: what the bare writer sends. */
async function encodedRows(store: ReturnType<typeof benchStore>): Promise<OnlineWrite[]> {
  const codec = store.codec(registry, 'wide');
  const { instance, connection } = await openDuckDb({ threads: 4 });
  const result = await connection.stream(
    `SELECT driver_id, epoch_us(event_timestamp), f0, f1, f2, f3, f4, f5, f6, f7, epoch_us(f8), f9 FROM (${SELECT})`,
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
        value: codec.encode(cols[1]![r] as bigint, null, (i) => cols[2 + i]![r]),
      });
    }
  }
  connection.closeSync();
  instance.closeSync();
  return out;
}

async function bareWriter(
  store: ReturnType<typeof benchStore>,
  rows: readonly OnlineWrite[],
): Promise<number> {
  const started = performance.now();
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
  return rows.length / ((performance.now() - started) / 1000);
}

export const scenario: BenchScenario = {
  name: 'materialize',
  description: `${ROWS} rows × 10 features from Parquet to Redis vs bare pipelined HSET`,
  async run() {
    const dir = path.join(os.tmpdir(), `trove-bench-${randomUUID()}`);
    const store = benchStore(PROJECT);
    try {
      await writeData(path.join(dir, 'offline'));
      const config = {
        ...troveConfigSchema.parse({ project: PROJECT, offlineStore: { memoryLimit: '1GB' } }),
        repoDir: dir,
        registryPath: path.join(dir, 'registry.json'),
        offlineStorePath: path.join(dir, 'offline'),
      };
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      const [stats] = await materialize(
        { config, registry, online: store, progressBar: false, log: () => {} },
        { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') },
      );
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      const trove = (stats?.rows ?? 0) / seconds;
      await store.teardown();

      const rows = await encodedRows(store);
      const bare = await bareWriter(store, rows);
      await store.teardown();
      const ratio = trove / bare;
      return {
        name: 'materialize',
        metrics: {
          rows: stats?.rows ?? 0,
          troveRowsPerSecond: Math.round(trove),
          bareHsetRowsPerSecond: Math.round(bare),
          ratio: Number(ratio.toFixed(3)),
          target: 0.6,
          peakRssMB: Math.round(peakRss / 2 ** 20),
        },
        pass: ratio >= 0.6,
      };
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

await runIfMain(import.meta.url, scenario);
