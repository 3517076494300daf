/**
 * A feature repo for the lineage tests: one entity, one Parquet source whose values depend on a
 * `version` (so a test can change the data and recompute), one view over it, and an entity file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { openDuckDb } from '../../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';

export const FEATURES = ['stats:rate', 'stats:trips', 'stats:label_text'];

const DEFINITIONS = (ttl: string, extra = '') => `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: stats_src
    kind: parquet
    path: data/stats.parquet
    timestampField: ts
    createdTimestampField: created
featureViews:
  - name: stats
    entities: [driver]
    source: stats_src
    ttl: ${ttl}
    features:
      - { name: rate, type: float64 }
      - { name: trips, type: int64 }
      - { name: label_text, type: string }
${extra}`;

/** A view on the same source, unrelated to the datasets the tests build. */
export const UNRELATED_VIEW = `  - name: other
    entities: [driver]
    source: stats_src
    features:
      - { name: rate, type: float64 }
`;

export interface LineageRepo {
  dir: string;
  entities: string;
  open(): Promise<FeatureStore>;
  /** Writes the source's rows; `version` changes every value. */
  writeSource(version: number): Promise<void>;
  /** Writes the definitions (`ttl` of the view, extra view YAML) and applies them. */
  apply(ttl?: string, extra?: string): Promise<number>;
  remove(): Promise<void>;
}

const START = "TIMESTAMPTZ '2024-03-01 00:00:00+00'";
const SPAN_US = 10n * 86_400_000_000n;

async function run(sql: string): Promise<void> {
  const { instance, connection } = await openDuckDb({ access: 'unrestricted', threads: 2 });
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function makeLineageRepo(
  options: { featureRows?: number; entityRows?: number; config?: string } = {},
): Promise<LineageRepo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trove-lineage-'));
  const featureRows = options.featureRows ?? 200_000;
  const entityRows = options.entityRows ?? 100_000;
  await writeFile(
    path.join(dir, 'trove.yaml'),
    `project: lineage_test\nofflineStore:\n  memoryLimit: 1GB\n  threads: 2\n${options.config ?? ''}`,
  );
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(dir, 'data'));
  const entities = path.join(dir, 'data', 'entities.parquet');
  await run(
    `COPY (SELECT (hash(i, 1) % 5000)::BIGINT AS driver_id,
       ${START} + to_microseconds((hash(i, 2) % ${SPAN_US})::BIGINT) AS event_timestamp,
       (hash(i, 3) % 2 = 0) AS label
     FROM range(${entityRows}) t(i)) TO ${quoteString(entities)} (FORMAT parquet)`,
  );
  const repo: LineageRepo = {
    dir,
    entities,
    open: () => FeatureStore.open(dir),
    writeSource: (version) =>
      run(
        `COPY (SELECT (hash(i, 11) % 5000)::BIGINT AS driver_id,
           ${START} + to_microseconds((hash(i, 12) % ${SPAN_US})::BIGINT) AS ts,
           CASE WHEN i % 7 = 0 THEN NULL ELSE ${START} + to_microseconds((hash(i, 13) % ${SPAN_US})::BIGINT) END AS created,
           (hash(i, 14 + ${version}) % 100000) / 1000.0 AS rate,
           CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i, 15 + ${version}) % 500)::BIGINT END AS trips,
           'v${version}-' || (hash(i, 16) % 97)::VARCHAR AS label_text
         FROM range(${featureRows}) t(i)) TO ${quoteString(path.join(dir, 'data', 'stats.parquet'))} (FORMAT parquet)`,
      ),
    async apply(ttl = '7d', extra = '') {
      await writeFile(path.join(dir, 'definitions.yaml'), DEFINITIONS(ttl, extra));
      const result = await applyRepo(await loadConfig(dir));
      return result.applied.version;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return repo;
}
