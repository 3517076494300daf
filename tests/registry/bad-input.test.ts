import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface BadCase {
  name: string;
  /** Replaces the definitions file, or adds a second one. */
  files: Record<string, string>;
  /** Each must appear in the error output. */
  expect: (string | RegExp)[];
}

const CASES: BadCase[] = [
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
    expect: ['defs.yaml: featureView driver_hourly_stats: field features[0].type', /expected one of .*int32/],
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

  beforeAll(async () => {
    repo = await makeTempRepo();
    await seedRepo(repo);
    await repo.write('defs.yaml', BASE);
    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.code, apply.stderr).toBe(0);
    registryBefore = await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8');
  });
  afterAll(() => repo.remove());

  for (const c of CASES) {
    it(`rejects ${c.name}`, async () => {
      const { rm } = await import('node:fs/promises');
      await rm(path.join(repo.dir, 'more.yaml'), { force: true });
      for (const [file, text] of Object.entries(c.files)) await repo.write(file, text);
      for (const command of ['plan', 'apply']) {
        const result = await runCli([command, '--repo', repo.dir]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toBe('');
        for (const e of c.expect) {
          if (typeof e === 'string') expect(result.stderr).toContain(e);
          else expect(result.stderr).toMatch(e);
        }
      }
      expect(await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8')).toBe(registryBefore);
    });
  }

  it('reports every problem of a repo in one run', async () => {
    const { rm } = await import('node:fs/promises');
    await rm(path.join(repo.dir, 'more.yaml'), { force: true });
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
