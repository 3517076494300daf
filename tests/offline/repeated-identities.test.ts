/**
 * Rows equal on join keys, event time and created time: compute keeps one of each set, the one
 * whose features are greatest (null lowest), so training datasets and materialization see the same
 * row every time instead of whichever one a join happened to meet first.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { UNIQUE_KEY_TIMES_MARKER } from '../../src/offline/offline-layout.ts';
import {
  at,
  columnValues,
  DAY1,
  HOUR,
  hasMarker,
  makeRegistry,
  offlineConfig,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';

const DAY2 = DAY1 + 24n * HOUR;
const date = (micros: bigint) => new Date(Number(micros / 1000n));

const columns = [
  { name: 'k', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMPTZ' },
  { name: 'created', type: 'TIMESTAMPTZ' },
  { name: 'x', type: 'VARCHAR' },
  { name: 'n', type: 'BIGINT' },
];

describe('rows repeating keys, event time and created time', () => {
  it('are reduced by compute to the one with the greatest features, whatever their order', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const config = offlineConfig(dir);
      const store = config.offlineStorePath;
      const t1 = at(DAY1 + 10n * HOUR);
      const c1 = at(DAY1 + 11n * HOUR);
      const t2 = at(DAY2 + 10n * HOUR);
      await mkdir(path.join(store, '_push', 'src'), { recursive: true });
      // Two files, so the sets are split across inputs; day 2 repeats only whole identities.
      await writeParquet(path.join(store, '_push', 'src', 'a.parquet'), columns, [
        [1n, t1, c1, 'b', 5n],
        [1n, t1, c1, null, 9n],
        [1n, t1, null, 'p', 1n],
        [2n, t2, null, 'same', 1n],
        [2n, t2, null, 'same', 2n],
      ]);
      await writeParquet(path.join(store, '_push', 'src', 'b.parquet'), columns, [
        [1n, t1, c1, 'c', 1n],
        [1n, t1, c1, 'c', 0n],
        [1n, t1, null, 'q', null],
        [1n, t1, c1, 'a', 7n],
        [3n, t2, null, 'alone', 1n],
      ]);
      const registry = makeRegistry({
        entities: [{ name: 'e', joinKeys: [{ name: 'k', type: 'int64' }] }],
        sources: [{ kind: 'push', name: 'src', timestampField: 'ts', createdTimestampField: 'created' }],
        featureViews: [
          {
            name: 'v',
            entities: ['e'],
            source: 'src',
            features: [
              { name: 'x', type: 'string' },
              { name: 'n', type: 'int64' },
            ],
          },
        ],
      });
      const [result] = await computeViews(config, registry);
      // Day 1: one row per (k, ts, created) — (1, t1, c1) and (1, t1, null); day 2: k 2 and k 3.
      expect(result!.rows).toBe(4);

      const entities = {
        columns: { k: [1n, 2n, 3n], event_timestamp: [date(t1.micros), date(t2.micros), date(t2.micros)] },
      };
      for (let i = 0; i < 3; i++) {
        const table = await historicalTable(config, registry, { entities, features: ['v:x', 'v:n'] });
        // 'c' beats 'b', 'a' and null on x, and of the two 'c' rows n = 1 beats n = 0; for k 2, n = 2 beats 1.
        expect(columnValues(table, 'x')).toEqual(['c', 'same', 'alone']);
        expect(columnValues(table, 'n')).toEqual([1n, 2n, 1n]);
      }
      // Day 2 is free of (keys, event time) ties once its repeats are gone; day 1 still has one.
      const marked = (d: string) => hasMarker(store, 'v', d, UNIQUE_KEY_TIMES_MARKER);
      expect(await marked('2025-12-01')).toBe(false);
      expect(await marked('2025-12-02')).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
