/**
 * On-demand views apply from YAML (`transform: file.ts#export`) and from TypeScript
 * (`onDemandView()`), and the registry holds where each transform lives, never its code.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const TRIPS = `driver_id,event_timestamp,fare
1,2026-11-01T10:00:00Z,12.5
2,2026-11-01T11:00:00Z,8
`;

const DEFS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
featureViews:
  - name: driver_trip_stats
    kind: aggregation
    entities: [driver]
    source: trips
    aggregations:
      - { column: fare, function: mean, windows: [7d] }
  - name: fare_ratio
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_trip_stats:fare_mean_7d"]
    features: [{ name: fare_vs_mean_7d, type: float64 }]
    transform: transforms.ts#fareRatio
featureServices:
  - name: pricing
    features: ["fare_ratio:*", "driver_trip_stats:fare_mean_7d", "fare_bucket"]
`;

const TRANSFORMS = `export function fareRatio(row: Record<string, unknown>) {
  const mean = row.fare_mean_7d as number | null;
  return { fare_vs_mean_7d: mean == null ? null : (row.fare as number) / mean };
}
`;

const VIEWS_TS = `import { onDemandView } from 'trove';
export const fareBucket = onDemandView({
  name: 'fare_bucket',
  request: [{ name: 'fare', type: 'float64' }],
  inputs: ['fare_ratio:fare_vs_mean_7d'],
  features: [{ name: 'bucket', type: 'string' }],
  mode: 'columns',
  description: 'cheap or dear, against the driver\\'s week',
  transform: (columns, rows) => ({
    bucket: Array.from({ length: rows }, (_, i) => ((columns.fare_vs_mean_7d?.[i] as number) > 1 ? 'dear' : 'cheap')),
  }),
});
`;

describe('on-demand views apply', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await makeTempRepo();
    await repo.write('trove.yaml', 'project: on_demand_apply\n');
    await repo.write('data/trips.csv', TRIPS);
    await repo.write('defs.yaml', DEFS);
    await repo.write('transforms.ts', TRANSFORMS);
    await repo.write('views.ts', VIEWS_TS);
  });
  afterAll(() => repo.remove());

  it('plans, applies and registers their transforms by location', async () => {
    const plan = await runCli(['plan', '--repo', repo.dir]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ featureView fare_ratio/);
    expect(plan.stdout).toMatch(/\+ featureView fare_bucket/);

    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    const text = await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8');
    // No code in the registry.
    expect(text).not.toMatch(/=>|row\.fare|Array\.from/);
    const views = JSON.parse(text).objects.featureViews as Record<string, unknown>[];
    expect(views.find((v) => v.name === 'fare_ratio')).toEqual({
      kind: 'onDemand',
      name: 'fare_ratio',
      request: [{ name: 'fare', type: 'float64' }],
      inputs: ['driver_trip_stats:fare_mean_7d'],
      features: [{ name: 'fare_vs_mean_7d', type: 'float64' }],
      mode: 'row',
      online: true,
      offline: true,
      transform: { module: 'transforms.ts', export: 'fareRatio', property: null },
    });
    expect(views.find((v) => v.name === 'fare_bucket')).toEqual({
      kind: 'onDemand',
      name: 'fare_bucket',
      request: [{ name: 'fare', type: 'float64' }],
      inputs: ['fare_ratio:fare_vs_mean_7d'],
      features: [{ name: 'bucket', type: 'string' }],
      mode: 'columns',
      online: true,
      offline: true,
      description: "cheap or dear, against the driver's week",
      transform: { module: 'views.ts', export: 'fareBucket', property: 'transform' },
    });

    // Applying again changes nothing: the locations are stable.
    const again = await runCli(['plan', '--repo', repo.dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
  });

  it('compute passes over them: they store nothing', async () => {
    const compute = await runCli(['compute', '--repo', repo.dir]);
    expect(compute.stderr).not.toMatch(/fare_ratio|fare_bucket/);
    expect(compute.code, compute.stderr).toBe(0);
  });
});
