/**
 * Bad on-demand views fail `trove plan` and `trove apply` with a message naming the file, the view
 * and the field, and leave the registry as it was.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type BadDefinitionCase, itRejectsEach } from '../helpers/bad-definition-cases.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const TRIPS = `driver_id,event_timestamp,fare
1,2026-11-01T10:00:00Z,12.5
2,2026-11-01T11:00:00Z,8
`;

const TRANSFORMS = `export function fareRatio(row: Record<string, unknown>) {
  return { fare_vs_mean_7d: (row.fare as number) / (row.fare_mean_7d as number) };
}
export const notAFunction = 42;
`;

/** The on-demand view of BASE, as its YAML lines. */
const FARE_RATIO = `  - name: fare_ratio
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_trip_stats:fare_mean_7d"]
    features: [{ name: fare_vs_mean_7d, type: float64 }]
    transform: transforms.ts#fareRatio
`;

const BASE = `entities:
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
${FARE_RATIO}featureServices:
  - name: pricing
    features: ["fare_ratio:fare_vs_mean_7d"]
`;

/** BASE with one line of the on-demand view replaced, and `extra` views after it. */
function withLine(from: string, to: string, extra = ''): string {
  if (!FARE_RATIO.includes(from)) throw new Error(`no line ${from}`);
  return BASE.replace(FARE_RATIO, FARE_RATIO.replace(from, to) + extra);
}

const VIEW = 'defs.yaml: featureView fare_ratio: field';

const CASES: BadDefinitionCase[] = [
  {
    name: 'a transform module that does not exist',
    files: { 'defs.yaml': withLine('transforms.ts#fareRatio', 'missing.ts#fareRatio') },
    expect: [`${VIEW} transform: module missing.ts not found`],
  },
  {
    name: 'a transform export the module lacks',
    files: { 'defs.yaml': withLine('transforms.ts#fareRatio', 'transforms.ts#fare_ratio') },
    expect: [
      `${VIEW} transform: module transforms.ts has no export fare_ratio (it exports: fareRatio, notAFunction)`,
    ],
  },
  {
    name: 'a transform export that is not a function',
    files: { 'defs.yaml': withLine('transforms.ts#fareRatio', 'transforms.ts#notAFunction') },
    expect: [`${VIEW} transform: export notAFunction of transforms.ts is a number, not a function`],
  },
  {
    name: 'a transform module that fails to load',
    files: {
      'defs.yaml': withLine('transforms.ts#fareRatio', 'lib/broken.ts#fareRatio'),
      'lib/broken.ts': 'export const fareRatio = (row => ;\n',
    },
    expect: [
      /defs\.yaml: featureView fare_ratio: field transform: module lib\/broken\.ts failed to load: .*broken\.ts:1:\d+: ERROR: /,
    ],
  },
  {
    name: 'a transform module outside the repo',
    files: { 'defs.yaml': withLine('transforms.ts#fareRatio', '../transforms.ts#fareRatio') },
    expect: [`${VIEW} transform: module ../transforms.ts is outside the repo`],
  },
  {
    name: 'a transform that is no reference',
    files: { 'defs.yaml': withLine('transforms.ts#fareRatio', '"row => row"') },
    expect: [`${VIEW} transform: `, 'file.ts#exportName'],
  },
  {
    name: 'an input of an unknown view',
    files: { 'defs.yaml': withLine('driver_trip_stats:fare_mean_7d', 'trip_stats:fare_mean_7d') },
    expect: [`${VIEW} inputs[0]: unknown feature view trip_stats`],
  },
  {
    name: 'an input of an unknown feature',
    files: { 'defs.yaml': withLine('driver_trip_stats:fare_mean_7d', 'driver_trip_stats:fare_sum_7d') },
    expect: [`${VIEW} inputs[0]: feature view driver_trip_stats has no feature fare_sum_7d`],
  },
  {
    name: 'on-demand views reading each other in a cycle',
    files: {
      'defs.yaml': withLine(
        '"driver_trip_stats:fare_mean_7d"',
        '"driver_trip_stats:fare_mean_7d", "fare_bucket:bucket"',
        `  - name: fare_bucket
    kind: onDemand
    inputs: ["fare_ratio:fare_vs_mean_7d"]
    features: [{ name: bucket, type: string }]
    transform: transforms.ts#fareRatio
`,
      ),
    },
    expect: [
      `${VIEW} inputs[1]: on-demand views read each other in a cycle: fare_ratio → fare_bucket → fare_ratio`,
      'defs.yaml: featureView fare_bucket: field inputs[0]: on-demand views read each other in a cycle: fare_bucket → fare_ratio → fare_bucket',
    ],
  },
  {
    name: 'an on-demand view reading itself',
    files: { 'defs.yaml': withLine('"driver_trip_stats:fare_mean_7d"', '"fare_ratio:*"') },
    expect: [
      `${VIEW} inputs[0]: an on-demand view cannot read its own features (cycle: fare_ratio → fare_ratio)`,
    ],
  },
  {
    name: 'a request field named as a join key of an input',
    files: {
      'defs.yaml': withLine(
        'request: [{ name: fare, type: float64 }]',
        'request: [{ name: fare, type: float64 }, { name: driver_id, type: int64 }]',
      ),
    },
    expect: [
      `${VIEW} request[1].name: request field driver_id clashes with join key driver_id of entity driver (read through input driver_trip_stats)`,
    ],
  },
  {
    name: 'a request field named as a feature of the view',
    files: {
      'defs.yaml': withLine(
        'request: [{ name: fare, type: float64 }]',
        'request: [{ name: fare_vs_mean_7d, type: float64 }]',
      ),
    },
    expect: [
      `${VIEW} request[0].name: request field fare_vs_mean_7d clashes with feature fare_vs_mean_7d of this view (features[0])`,
    ],
  },
  {
    name: 'a request field named as an input feature',
    files: {
      'defs.yaml': withLine(
        'request: [{ name: fare, type: float64 }]',
        'request: [{ name: fare_mean_7d, type: float64 }]',
      ),
    },
    expect: [
      `${VIEW} request[0].name: request field fare_mean_7d clashes with input feature driver_trip_stats:fare_mean_7d (inputs[0])`,
    ],
  },
  {
    name: 'a feature listed twice',
    files: {
      'defs.yaml': withLine(
        'features: [{ name: fare_vs_mean_7d, type: float64 }]',
        'features: [{ name: fare_vs_mean_7d, type: float64 }, { name: fare_vs_mean_7d, type: string }]',
      ),
    },
    expect: [`${VIEW} features[1].name: feature fare_vs_mean_7d is listed twice (also features[0])`],
  },
  {
    name: 'nothing to compute from',
    files: {
      'defs.yaml': withLine('request: [{ name: fare, type: float64 }]', 'request: []').replace(
        'inputs: ["driver_trip_stats:fare_mean_7d"]',
        'inputs: []',
      ),
    },
    expect: [`${VIEW} inputs: an on-demand view needs at least one input, or a request field`],
  },
  {
    name: 'a mode that does not exist',
    files: {
      'defs.yaml': withLine(
        'transform: transforms.ts#fareRatio',
        'transform: transforms.ts#fareRatio\n    mode: batch',
      ),
    },
    expect: [`${VIEW} mode: got "batch", expected one of row, columns`],
  },
  {
    name: 'a TypeScript view whose transform is not a function',
    files: {
      'defs.yaml': BASE,
      'more.ts': `import { onDemandView } from 'trove';
export const fareBucket = onDemandView({
  name: 'fare_bucket',
  inputs: ['fare_ratio:fare_vs_mean_7d'],
  features: [{ name: 'bucket', type: 'string' }],
  transform: 42 as never,
});
`,
    },
    expect: ['more.ts: featureView fare_bucket: field transform: '],
  },
  {
    name: 'a TypeScript view not exported by name',
    files: {
      'defs.yaml': BASE,
      'more.ts': `import { onDemandView } from 'trove';
export const views = [
  onDemandView({
    name: 'fare_bucket',
    inputs: ['fare_ratio:fare_vs_mean_7d'],
    features: [{ name: 'bucket', type: 'string' }],
    transform: (row) => ({ bucket: String(row.fare_vs_mean_7d) }),
  }),
];
`,
    },
    expect: ['more.ts: featureView fare_bucket: field transform: export the view by name'],
  },
  {
    name: 'a TypeScript view with an unknown input and a request field clashing with a join key',
    files: {
      'defs.yaml': BASE,
      'more.ts': `import { onDemandView } from 'trove';
export const fareBucket = onDemandView({
  name: 'fare_bucket',
  request: [{ name: 'driver_id', type: 'int64' }],
  inputs: ['fare_ratio:fare_vs_mean_7d', 'nowhere:x'],
  features: [{ name: 'bucket', type: 'string' }],
  transform: (row) => ({ bucket: String(row.fare_vs_mean_7d) }),
});
`,
    },
    expect: [
      'more.ts: featureView fare_bucket: field inputs[1]: unknown feature view nowhere',
      'more.ts: featureView fare_bucket: field request[0].name: request field driver_id clashes with join key driver_id of entity driver (read through input fare_ratio)',
    ],
  },
];

describe('bad on-demand views fail plan and apply, and change nothing', () => {
  let repo: TempRepo;
  let registryBefore: string;

  beforeAll(async () => {
    repo = await makeTempRepo();
    await repo.write('trove.yaml', 'project: on_demand_bad_input\n');
    await repo.write('data/trips.csv', TRIPS);
    await repo.write('transforms.ts', TRANSFORMS);
    await repo.write('defs.yaml', BASE);
    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.code, apply.stderr).toBe(0);
    registryBefore = await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8');
    expect(JSON.parse(registryBefore).objects.featureViews[1].transform).toEqual({
      module: 'transforms.ts',
      export: 'fareRatio',
      property: null,
    });
  });
  afterAll(() => repo.remove());

  itRejectsEach(CASES, () => ({ repo, registryBefore }));
});
