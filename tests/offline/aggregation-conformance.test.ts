/**
 * Conformance case a1 (SPEC §7): the case's definitions.yaml applied in a scratch repo, computed,
 * and its training dataset compared with expected.jsonl row by row, in input order: exact for
 * counts, integer sums, min, max, first, last and last_n (rider ids beyond 2^53, read losslessly),
 * floats within a relative 1e-9.
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { parseLosslessJson } from '../../src/server/lossless-json.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { columnValues } from './offline-test-kit.ts';

const CASE = path.resolve(import.meta.dirname, '../fixtures/conformance/a1_windowed_aggregations');
const VIEW = 'driver_trip_aggs';

interface ExpectedRow {
  row_id: number;
  driver_id: number;
  event_timestamp: string;
  values: Record<string, unknown>;
}

/** Epoch microseconds of `2026-11-02T02:43:47.089039Z`. */
function micros(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!m) throw new Error(`not a UTC timestamp: ${iso}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toArray' in value)
    return Array.from((value as Vector).toArray() as ArrayLike<unknown>);
  return value;
}

/** Integers of either kind as bigints, so 2^53 and beyond compare exactly. */
function exact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(exact);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

let repo: TempRepo;
let expected: ExpectedRow[];

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', 'project: conformance_a1\n');
  await cp(path.join(CASE, 'definitions.yaml'), path.join(repo.dir, 'definitions.yaml'));
  await cp(path.join(CASE, 'data'), path.join(repo.dir, 'data'), { recursive: true });
  const text = await readFile(path.join(CASE, 'expected.jsonl'), 'utf8');
  expected = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parseLosslessJson(line) as ExpectedRow);
});

afterAll(() => repo?.remove());

describe('conformance case a1_windowed_aggregations', () => {
  it('returns the expected windows for every entity row, in input order', async () => {
    await applyRepo(await loadConfig(repo.dir, {}));
    const store = await FeatureStore.open(repo.dir, { env: {} });
    const [computed] = await store.compute();
    expect(computed?.view).toBe(VIEW);
    const table = await store.getHistoricalFeatures({
      entities: path.join(repo.dir, 'data/entities.parquet'),
      features: [`${VIEW}:*`],
    });
    const view = (await store.registry()).featureView(VIEW)!;
    const names = view.features.map((f) => f.name);
    expect(names).toHaveLength(17);
    expect(table.schema.names).toEqual(['driver_id', 'event_timestamp', 'row_id', ...names]);
    expect(table.numRows).toBe(expected.length);

    const columns = new Map(table.schema.names.map((n) => [n, columnValues(table, String(n)).map(plain)]));
    expected.forEach((want, row) => {
      expect(columns.get('row_id')![row], `row ${row}`).toBe(BigInt(want.row_id));
      expect(columns.get('driver_id')![row], `row ${row}`).toBe(BigInt(want.driver_id));
      expect(columns.get('event_timestamp')![row], `row ${row}`).toBe(micros(want.event_timestamp));
      for (const feature of view.features) {
        const got = columns.get(feature.name)![row];
        const value = want.values[feature.name];
        const where = `row ${row} (row_id ${want.row_id}), ${feature.name}`;
        if (feature.type === 'float64' && typeof value === 'number' && typeof got === 'number') {
          const tolerance = 1e-9 * Math.max(Math.abs(value), Math.abs(got));
          expect(Math.abs(got - value) <= tolerance, `${where}: got ${got}, expected ${value}`).toBe(true);
        } else {
          expect(exact(got), where).toEqual(exact(value));
        }
      }
    });
  });
});
