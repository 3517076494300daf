/** The view and data of the kill test: 1M offline rows over 200k drivers, newest row per driver wins. */
import { makeRegistry } from '../online/online-fixture.ts';
import { writeOfflineRows } from './offline-fixture.ts';

export const killRegistry = makeRegistry({
  views: [
    {
      name: 'big',
      entities: ['driver'],
      source: 'src',
      features: [
        { name: 'a', type: 'int64' },
        { name: 'b', type: 'float64' },
        { name: 'c', type: 'string' },
      ],
    },
  ],
});

export const KILL_START = '2024-01-01T00:00:00Z';
export const KILL_END = '2024-01-08T00:00:00Z';

export async function writeKillData(
  offlineStorePath: string,
  rows = 1_000_000,
  drivers = 200_000,
): Promise<void> {
  await writeOfflineRows(
    offlineStorePath,
    'big',
    `SELECT (hash(i) % ${drivers})::BIGINT AS driver_id,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((hash(i * 7) % 604800000000)::BIGINT) AS event_timestamp,
       CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-01-09 00:00:00+00' + to_microseconds(i) END AS created_timestamp,
       (i * 1000003)::BIGINT AS a, i / 7 AS b, 'row-' || i AS c
     FROM range(${rows}) t(i)`,
  );
}
