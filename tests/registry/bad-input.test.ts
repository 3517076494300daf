import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BadDefinitionCase, itRejectsEach, removeCaseFiles } from '../helpers/bad-definition-cases.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, seedRepo, type TempRepo } from '../helpers/temp-repo.ts';

const BASE = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: driver_stats
    kind: parquet
    path: data/driver_stats.parquet
    timestampField: event_timestamp
    createdTimestampField: created
featureViews:
  - name: driver_hourly_stats
    entities: [driver]
    source: driver_stats
    ttl: 1d
    features:
      - { name: conv_rate, type: float32 }
      - { name: avg_daily_trips, type: int64 }
featureServices:
  - name: ranking
    features: [driver_hourly_stats]
`;

const CASES: BadDefinitionCase[] = [
  {
    name: 'a YAML syntax error',
    files: { 'defs.yaml': BASE.replace('entities: [driver]', 'entities: [driver') },
    expect: ['defs.yaml', /YAML syntax error at line \d+/],
  },
  {
    name: 'an unknown entity',
    files: { 'defs.yaml': BASE.replace('entities: [driver]', 'entities: [rider]') },
    expect: ['defs.yaml: featureView driver_hourly_stats: field entities[0]: unknown entity rider'],
  },
  {
    name: 'an unknown source',
    files: { 'defs.yaml': BASE.replace('source: driver_stats', 'source: driver_statz') },
    expect: ['defs.yaml: featureView driver_hourly_stats: field source: unknown source driver_statz'],
  },
  {
    name: 'a duplicate name',
    files: {
      'defs.yaml': BASE,
      'more.yaml': 'entities:\n  - name: driver\n    joinKeys: [{ name: driver_id, type: int64 }]\n',
    },
    expect: [
      'more.yaml: entity driver: field name: duplicate name: entity driver is also defined in defs.yaml',
    ],
  },
  {
    name: 'an unknown type',
    files: { 'defs.yaml': BASE.replace('type: float32', 'type: float128') },
    expect: [
      'defs.yaml: featureView driver_hourly_stats: field features[0].type: got "float128", expected one of int32, int64, float32, float64, string, bool, bytes, timestamp, list<int32>,',
    ],
  },
  {
    name: 'a value of the wrong type',
    files: { 'defs.yaml': BASE.replace('ttl: 1d', 'ttl: 1d\n    online: "yes"') },
    expect: ['defs.yaml: featureView driver_hourly_stats: field online: got "yes", expected true or false'],
  },
  {
    name: 'an unknown key',
    files: {
      'defs.yaml': BASE.replace(
        '{ name: conv_rate, type: float32 }',
        '{ name: conv_rate, type: float32, colour: blue }',
      ),
    },
    expect: ['defs.yaml: featureView driver_hourly_stats: field features[0]: unknown key "colour"'],
  },
  {
    name: 'a value below its minimum',
    files: { 'defs.yaml': BASE.replace('path: data/driver_stats.parquet', 'path: ""') },
    expect: ['defs.yaml: source driver_stats: field path: got "", expected at least 1 character'],
  },
  {
    name: 'a value above its maximum',
    files: { 'defs.yaml': BASE.replace('kind: parquet', 'kind: csv\n    delimiter: ";;"') },
    expect: ['defs.yaml: source driver_stats: field delimiter: got ";;", expected exactly 1 character'],
  },
  {
    name: 'a string in the wrong format',
    files: { 'defs.yaml': BASE.replace('name: conv_rate', 'name: 1conv') },
    expect: [
      'defs.yaml: featureView driver_hourly_stats: field features[0].name: got "1conv", expected an identifier: a letter or _',
    ],
  },
  {
    name: 'a source kind matching no kind of source',
    files: { 'defs.yaml': BASE.replace('kind: parquet', 'kind: parket') },
    expect: [
      'defs.yaml: source driver_stats: field kind: got "parket", expected one of parquet, csv, sql, push',
    ],
  },
  {
    name: 'a duration that is neither seconds nor a duration string',
    files: { 'defs.yaml': BASE.replace('ttl: 1d', 'ttl: true') },
    expect: [
      'defs.yaml: featureView driver_hourly_stats: field ttl: got true, expected seconds (a non-negative number) or a duration such as 90s',
    ],
  },
  {
    name: 'bad values in a TypeScript module, shown short whatever they hold',
    files: {
      'defs.yaml': BASE,
      'more.ts': `import { featureView } from 'trove';
const tags: Record<string, unknown> = {};
tags.self = tags;
export const other = featureView({
  name: 'other_stats',
  entities: ['driver'],
  source: 'driver_stats',
  ttl: 10n as never,
  features: [{ name: 'x'.repeat(100_000), type: 'float128' as never }],
  tags: tags as never,
});
`,
    },
    expect: [
      'more.ts: featureView other_stats: field ttl: got 10 (a bigint), expected seconds',
      /more\.ts: featureView other_stats: field features\[0\]\.name: got "x{20,100}… \(100000 characters\), expected an identifier/,
      'more.ts: featureView other_stats: field features[0].type: got "float128", expected one of int32,',
      'more.ts: featureView other_stats: field tags.self: got {"self":(circular)}, expected a string',
    ],
    maxLength: 2_000,
  },
  {
    name: 'a declared feature missing from the source',
    files: { 'defs.yaml': BASE.replace('name: conv_rate', 'name: conversion') },
    expect: [
      'defs.yaml: featureView driver_hourly_stats: field features[0]: column conversion not found in source driver_stats',
    ],
  },
  {
    name: 'a feature whose source column has an incompatible type',
    files: {
      'defs.yaml': BASE.replace(
        '{ name: avg_daily_trips, type: int64 }',
        '{ name: avg_daily_trips, type: string }',
      ),
    },
    expect: [
      'defs.yaml: featureView driver_hourly_stats: field features[1]: column avg_daily_trips in source driver_stats has type BIGINT, which does not fit declared type string',
    ],
  },
  {
    name: 'a missing source file',
    files: { 'defs.yaml': BASE.replace('data/driver_stats.parquet', 'data/nowhere.parquet') },
    expect: ['defs.yaml: source driver_stats: field path: file not found:', 'nowhere.parquet'],
  },
];

describe('bad definitions fail plan and apply, and change nothing', () => {
  let repo: TempRepo;
  let registryBefore: string;
  const removeExtraFiles = () => removeCaseFiles(CASES, repo);

  beforeAll(async () => {
    repo = await makeTempRepo();
    await seedRepo(repo);
    await repo.write('defs.yaml', BASE);
    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.code, apply.stderr).toBe(0);
    registryBefore = await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8');
  });
  afterAll(() => repo.remove());

  itRejectsEach(CASES, () => ({ repo, registryBefore }));

  it('reports every problem of a repo in one run', async () => {
    await removeExtraFiles();
    await repo.write(
      'defs.yaml',
      BASE.replace('entities: [driver]', 'entities: [rider]')
        .replace('type: float32', 'type: float128')
        .replace('data/driver_stats.parquet', 'data/nowhere.parquet')
        .replace('features: [driver_hourly_stats]', 'features: ["driver_hourly_stats:nope"]'),
    );
    const result = await runCli(['apply', '--repo', repo.dir]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/3 problems in the feature repo/);
    expect(result.stderr).toContain('field entities[0]: unknown entity rider');
    expect(result.stderr).toContain('field features[0].type');
    expect(result.stderr).toContain('field path: file not found');
    // The service refers to the invalid view, which exists: not reported as unknown.
    expect(result.stderr).not.toContain('unknown feature view');
    expect(await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8')).toBe(registryBefore);
  });
});
