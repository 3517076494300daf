/**
 * Bad aggregation views fail `trove plan` and `trove apply` with a message naming the file, the
 * view and the field, and leave the registry as it was.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type BadDefinitionCase, itRejectsEach } from '../helpers/bad-definition-cases.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const TRIPS = `driver_id,event_timestamp,fare,city,rider_id
1,2026-11-01T10:00:00Z,12.5,rome,1152921504606846977
2,2026-11-01T11:00:00Z,,,
`;

const AGGREGATIONS = `      - { column: fare, function: sum, windows: [1h, 1d] }
      - { column: rider_id, function: last_n, n: 5, windows: [7d] }
      - { function: count, windows: [30d] }`;

const BASE = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
featureViews:
  - name: trip_stats
    kind: aggregation
    entities: [driver]
    source: trips
    aggregations:
${AGGREGATIONS}
featureServices:
  - name: ranking
    features: ["trip_stats:fare_sum_1h", "trip_stats:count_30d"]
`;

/** BASE with its aggregations replaced, and the view's other keys extended by `extra`. */
function withAggregations(aggregations: string, extra = ''): string {
  return BASE.replace(AGGREGATIONS, aggregations).replace(
    '    source: trips\n    aggregations:',
    `    source: trips\n${extra}    aggregations:`,
  );
}

const VIEW = 'defs.yaml: featureView trip_stats: field';

const CASES: BadDefinitionCase[] = [
  {
    name: 'an unknown function',
    files: { 'defs.yaml': withAggregations('      - { column: fare, function: median, windows: [1h] }') },
    expect: [
      `${VIEW} aggregations[0].function: got "median", expected one of count, sum, mean, min, max, stddev_samp, stddev_pop, var_samp, var_pop, first, last, last_n`,
    ],
  },
  {
    name: 'a column the source lacks',
    files: { 'defs.yaml': withAggregations('      - { column: tip, function: sum, windows: [1h] }') },
    expect: [
      `${VIEW} aggregations[0].column: column tip not found in source trips (it has: driver_id, event_timestamp, fare, city, rider_id)`,
    ],
  },
  {
    name: 'a sum over a string',
    files: { 'defs.yaml': withAggregations('      - { column: city, function: sum, windows: [1d] }') },
    expect: [
      `${VIEW} aggregations[0].column: sum needs a numeric column (int32, int64, float32 or float64); column city in source trips has type VARCHAR (string)`,
    ],
  },
  {
    name: 'a window the view’s granularity does not divide',
    files: {
      'defs.yaml': withAggregations(
        '      - { function: count, windows: [1d, 90m] }',
        '    granularity: 1h\n',
      ),
    },
    expect: [
      `${VIEW} aggregations[0].windows[1]: window 1h30m is not a multiple of the view's granularity 1h`,
    ],
  },
  {
    name: 'a window its default granularity does not divide',
    files: { 'defs.yaml': withAggregations('      - { function: count, windows: [90s] }') },
    expect: [
      `${VIEW} aggregations[0].windows[0]: window 1m30s is not a multiple of its default granularity 5m (5m for windows up to 12h, 1h up to 12d, 1d beyond); set the view's granularity to one that divides it`,
    ],
  },
  {
    name: 'last_n without n',
    files: { 'defs.yaml': withAggregations('      - { column: rider_id, function: last_n, windows: [7d] }') },
    expect: [`${VIEW} aggregations[0].n: last_n needs n, how many of the newest values to keep (1 to 100)`],
  },
  {
    name: 'last_n with n over 100',
    files: {
      'defs.yaml': withAggregations('      - { column: rider_id, function: last_n, n: 101, windows: [7d] }'),
    },
    expect: [`${VIEW} aggregations[0].n: got 101, expected at most 100`],
  },
  {
    name: 'two aggregations producing the same feature name',
    files: {
      'defs.yaml': withAggregations(
        '      - { column: fare, function: sum, windows: [1h, 1d] }\n      - { column: fare, function: sum, windows: [7d, 1h] }',
      ),
    },
    expect: [
      `${VIEW} aggregations[1].windows[1]: feature fare_sum_1h is produced twice (also by aggregations[0].windows[0])`,
    ],
  },
  {
    name: 'a name taking another aggregation’s feature name',
    files: {
      'defs.yaml': withAggregations(
        '      - { column: fare, function: sum, windows: [1h] }\n      - { column: fare, function: max, windows: [1d], name: fare_sum_1h }',
      ),
    },
    expect: [
      `${VIEW} aggregations[1].name: feature fare_sum_1h is produced twice (also by aggregations[0].windows[0])`,
    ],
  },
  {
    name: 'an aggregation of a join key',
    files: { 'defs.yaml': withAggregations('      - { column: driver_id, function: count, windows: [1d] }') },
    expect: [`${VIEW} aggregations[0].column: column driver_id is the join key of entity driver`],
  },
  {
    name: 'a view kind that does not exist',
    files: { 'defs.yaml': BASE.replace('kind: aggregation', 'kind: aggregate') },
    expect: [
      'defs.yaml: featureView trip_stats: field kind: got "aggregate", expected batch (the default), aggregation or onDemand',
    ],
  },
  {
    name: 'a bad aggregation view written with aggregationView()',
    files: {
      'defs.yaml': BASE,
      'more.ts': `import { aggregationView } from 'trove';
export const more = aggregationView({
  name: 'more_stats',
  entities: ['driver'],
  source: 'trips',
  aggregations: [{ column: 'fare', function: 'p99' as never, windows: ['1h'] }, { function: 'count', windows: ['0s'] }],
});
`,
    },
    expect: [
      'more.ts: featureView more_stats: field aggregations[0].function: got "p99", expected one of count,',
      'more.ts: featureView more_stats: field aggregations[1].windows[0]: got "0s", expected a positive whole number of seconds',
    ],
  },
];

describe('bad aggregation views fail plan and apply, and change nothing', () => {
  let repo: TempRepo;
  let registryBefore: string;

  beforeAll(async () => {
    repo = await makeTempRepo();
    await repo.write('trove.yaml', 'project: aggregation_bad_input\n');
    await repo.write('data/trips.csv', TRIPS);
    await repo.write('defs.yaml', BASE);
    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.code, apply.stderr).toBe(0);
    registryBefore = await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8');
    // The registered view carries the types its source gave.
    expect(JSON.parse(registryBefore).objects.featureViews[0].features).toEqual([
      { name: 'fare_sum_1h', type: 'float64' },
      { name: 'fare_sum_1d', type: 'float64' },
      { name: 'rider_id_last_n_7d', type: 'list<int64>' },
      { name: 'count_30d', type: 'int64' },
    ]);
  });
  afterAll(() => repo.remove());

  itRejectsEach(CASES, () => ({ repo, registryBefore }));
});
