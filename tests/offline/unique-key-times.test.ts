import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendPushedRows } from '../../src/offline/append-pushed-rows.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { UNIQUE_KEY_TIMES_MARKER, UNIQUE_KEYS_MARKER } from '../../src/offline/offline-layout.ts';
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

const marked = (store: string, date: string, marker = UNIQUE_KEY_TIMES_MARKER) =>
  hasMarker(store, 'v', date, marker);

const columns = [
  { name: 'k', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMPTZ' },
  { name: 'created', type: 'TIMESTAMPTZ' },
  { name: 'x', type: 'VARCHAR' },
];

describe('partitions without (keys, event time) ties', () => {
  it('are marked by compute, unmarked by pushes, and join the same either way', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const config = offlineConfig(dir);
      const store = config.offlineStorePath;
      // Day 1 has a tie on (k, ts) decided by the created time; day 2 has none.
      await mkdir(path.join(store, '_push', 'src'), { recursive: true });
      await writeParquet(path.join(store, '_push', 'src', 'first.parquet'), columns, [
        [1n, at(DAY1 + 10n * HOUR), at(DAY1 + 12n * HOUR), 'tie-newer'],
        [1n, at(DAY1 + 10n * HOUR), at(DAY1 + 11n * HOUR), 'tie-older'],
        [1n, at(DAY1 + 10n * HOUR), null, 'tie-null'],
        [1n, at(DAY2 + 10n * HOUR), at(DAY2 + 10n * HOUR), 'day2'],
        [2n, at(DAY2 + 10n * HOUR), null, 'other'],
      ]);
      const registry = makeRegistry({
        entities: [{ name: 'e', joinKeys: [{ name: 'k', type: 'int64' }] }],
        sources: [{ kind: 'push', name: 'src', timestampField: 'ts', createdTimestampField: 'created' }],
        featureViews: [
          { name: 'v', entities: ['e'], source: 'src', ttl: '2h', features: [{ name: 'x', type: 'string' }] },
        ],
      });
      await computeViews(config, registry);
      expect(await marked(store, '2025-12-01')).toBe(false);
      expect(await marked(store, '2025-12-02')).toBe(true);
      // Day 1 repeats key 1; day 2 holds one row per key.
      expect(await marked(store, '2025-12-01', UNIQUE_KEYS_MARKER)).toBe(false);
      expect(await marked(store, '2025-12-02', UNIQUE_KEYS_MARKER)).toBe(true);

      const join = async () =>
        columnValues(
          await historicalTable(config, registry, {
            entities: {
              columns: {
                k: [1n, 1n, 2n],
                event_timestamp: [
                  new Date(Number((DAY1 + 11n * HOUR) / 1000n)),
                  new Date(Number((DAY2 + 11n * HOUR) / 1000n)),
                  new Date(Number((DAY2 + 12n * HOUR) / 1000n)),
                ],
              },
            },
            features: ['v:x'],
          }),
          'x',
        );
      expect(await join()).toEqual(['tie-newer', 'day2', 'other']);

      // A pushed row tying with day 2's row must win by its created time, so the marker goes.
      const pushed = path.join(dir, 'pushed.parquet');
      await writeParquet(pushed, columns, [[1n, at(DAY2 + 10n * HOUR), at(DAY2 + 20n * HOUR), 'pushed']]);
      await appendPushedRows(config, registry, 'src', pushed);
      expect(await marked(store, '2025-12-02')).toBe(false);
      expect(await marked(store, '2025-12-02', UNIQUE_KEYS_MARKER)).toBe(false);
      expect(await join()).toEqual(['tie-newer', 'pushed', 'other']);
    } finally {
      await cleanup();
    }
  });
});
