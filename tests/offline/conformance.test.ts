import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { columnValues, makeRegistry, offlineConfig, queryRows, tempDir } from './offline-test-kit.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/conformance');

/** Feast's repo.json, as far as these cases use it. */
interface FeastRepo {
  entities: { name: string; join_key: string; value_type: string }[];
  sources: { name: string; file: string; timestamp_field: string; created_timestamp_column?: string }[];
  feature_views: {
    name: string;
    entities: string[];
    source: string;
    ttl_seconds: number;
    fields: { name: string; dtype: string }[];
  }[];
  feature_services: { name: string; feature_views: string[] }[];
  request: { features: string[]; full_feature_names: boolean };
}

const FEAST_TYPES: Record<string, string> = {
  INT64: 'int64',
  STRING: 'string',
  Int64: 'int64',
  Float32: 'float32',
  Float64: 'float64',
  String: 'string',
};

function troveDefinitions(repo: FeastRepo, dir: string) {
  return makeRegistry({
    entities: repo.entities.map((e) => ({
      name: e.name,
      joinKeys: [{ name: e.join_key, type: FEAST_TYPES[e.value_type] }],
    })),
    sources: repo.sources.map((s) => ({
      kind: 'parquet',
      name: s.name,
      path: path.join(dir, s.file),
      timestampField: s.timestamp_field,
      ...(s.created_timestamp_column ? { createdTimestampField: s.created_timestamp_column } : {}),
    })),
    featureViews: repo.feature_views.map((v) => ({
      name: v.name,
      entities: v.entities,
      source: v.source,
      ttl: v.ttl_seconds,
      features: v.fields.map((f) => ({ name: f.name, type: FEAST_TYPES[f.dtype] })),
    })),
    featureServices: repo.feature_services.map((s) => ({ name: s.name, features: s.feature_views })),
  });
}

function same(actual: unknown, expected: unknown): boolean {
  if (actual === null || expected === null) return actual === expected;
  if (typeof actual === 'bigint' || typeof expected === 'bigint' || typeof actual === 'number') {
    const a = Number(actual);
    const e = Number(expected);
    return Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e));
  }
  return actual === expected;
}

describe.each(['c2_ttl_boundaries', 'c3_dup_event_ts_created'])('Feast conformance case %s', (name) => {
  it('returns Feast’s values, in the entity table’s order', async () => {
    const caseDir = path.join(FIXTURES, name);
    const repo = JSON.parse(readFileSync(path.join(caseDir, 'repo.json'), 'utf8')) as FeastRepo;
    const { dir, cleanup } = await tempDir();
    try {
      const registry = troveDefinitions(repo, caseDir);
      // The fixtures live outside the scratch repo: listed as a data folder, as TROVE_DATA_DIRS would.
      const config = { ...offlineConfig(dir), dataDirs: [caseDir] };
      await computeViews(config, registry);
      const entityFile = path.join(caseDir, 'entity_df.parquet');
      const table = await historicalTable(config, registry, {
        entities: entityFile,
        features: repo.request.features,
        fullFeatureNames: repo.request.full_feature_names,
      });
      const expectedCols = (
        await queryRows(`DESCRIBE SELECT * FROM ${quoteString(path.join(caseDir, 'expected.parquet'))}`)
      ).map((r) => String(r[0]));
      expect(table.schema.names).toEqual(expectedCols);
      const entityCols = (await queryRows(`DESCRIBE SELECT * FROM ${quoteString(entityFile)}`)).map((r) =>
        String(r[0]),
      );
      const tsCol = 'event_timestamp';
      const keyOf = (row: readonly unknown[]) =>
        JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
      const select = expectedCols.map((c) => (c === tsCol ? `epoch_us(${c})` : `"${c}"`)).join(', ');
      const entityOrder = await queryRows(
        `SELECT ${entityCols.map((c) => (c === tsCol ? `epoch_us(${c})` : `"${c}"`)).join(', ')} FROM ${quoteString(entityFile)}`,
      );
      const expectedRows = await queryRows(
        `SELECT ${select} FROM ${quoteString(path.join(caseDir, 'expected.parquet'))}`,
      );
      const byEntity = new Map(expectedRows.map((r) => [keyOf(r.slice(0, entityCols.length)), r]));
      const actual = expectedCols.map((c) => columnValues(table, c));
      expect(table.numRows).toBe(entityOrder.length);
      for (let i = 0; i < table.numRows; i++) {
        const row = actual.map((col) => col[i]);
        // The entity columns come back unchanged and in input order.
        expect(keyOf(row.slice(0, entityCols.length))).toBe(keyOf(entityOrder[i]!));
        const expected = byEntity.get(keyOf(row.slice(0, entityCols.length)));
        expect(expected, `row ${i}`).toBeDefined();
        row.forEach((v, j) => {
          expect(
            same(v, expected![j]),
            `row ${i} column ${expectedCols[j]}: got ${String(v)}, Feast ${String(expected![j])}`,
          ).toBe(true);
        });
      }
    } finally {
      await cleanup();
    }
  });
});
