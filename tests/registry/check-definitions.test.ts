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
`;

const withChecks = (conv: string, trips = '', view = '') =>
  BASE.replace('{ name: conv_rate, type: float32 }', `{ name: conv_rate, type: float32${conv} }`)
    .replace('{ name: avg_daily_trips, type: int64 }', `{ name: avg_daily_trips, type: int64${trips} }`)
    .replace('    ttl: 1d\n', `    ttl: 1d\n${view}`);

const AT = 'defs.yaml: featureView driver_hourly_stats: field';

const CASES: BadDefinitionCase[] = [
  {
    name: 'min greater than max',
    files: { 'defs.yaml': withChecks(', checks: { min: 2, max: 1 }') },
    expect: [`${AT} features[0].checks.min: feature conv_rate: min (2) is greater than max (1)`],
  },
  {
    name: 'allowed on a float feature',
    files: { 'defs.yaml': withChecks(', checks: { allowed: [0.5] }') },
    expect: [
      `${AT} features[0].checks.allowed: feature conv_rate: allowed applies to string, int32, int64 and bool features, not float32`,
    ],
  },
  {
    name: 'an allowed value of the wrong type',
    files: { 'defs.yaml': withChecks('', ', checks: { allowed: [1, "two"] }') },
    expect: [
      `${AT} features[1].checks.allowed[1]: feature avg_daily_trips: allowed value "two" does not fit type int64`,
    ],
  },
  {
    name: 'an int64 allowed value beyond 2^53 written as a number',
    files: { 'defs.yaml': withChecks('', ', checks: { allowed: [9007199254740993] }') },
    expect: [
      `${AT} features[1].checks.allowed[0]: feature avg_daily_trips: allowed value 9007199254740992 is beyond 2^53, where numbers lose digits; write it as text`,
    ],
  },
  {
    name: 'min on a string feature',
    files: {
      'defs.yaml': BASE.replace(
        '{ name: avg_daily_trips, type: int64 }',
        '{ name: avg_daily_trips, type: string, checks: { min: 0 } }',
      ),
    },
    expect: [
      `${AT} features[1].checks.min: feature avg_daily_trips: min applies to int32, int64, float32 and float64 features, not string`,
    ],
  },
  {
    name: 'a null fraction outside [0, 1]',
    files: { 'defs.yaml': withChecks(', checks: { maxNullFraction: 1.5 }') },
    expect: [
      `${AT} features[0].checks.maxNullFraction: feature conv_rate: maxNullFraction 1.5 is not a fraction between 0 and 1`,
    ],
  },
  {
    name: 'a check that does not exist',
    files: { 'defs.yaml': withChecks(', checks: { nonNull: true }') },
    expect: [`${AT} features[0].checks`, 'nonNull'],
  },
  {
    name: 'minRows that is no whole number',
    files: { 'defs.yaml': withChecks('', '', '    checks: { minRows: 2.5 }\n') },
    expect: [`${AT} checks.minRows: minRows: expected a whole number of rows`],
  },
  {
    name: 'checks on a feature of an on-demand view',
    files: {
      'defs.yaml': `${BASE}  - name: doubled
    kind: onDemand
    inputs: ["driver_hourly_stats:conv_rate"]
    features: [{ name: twice, type: float64, checks: { min: 0 } }]
    transform: t.ts#twice
`,
      't.ts': 'export const twice = (r: { conv_rate: number }) => ({ twice: r.conv_rate * 2 });\n',
    },
    expect: ['featureView doubled: field features[0]', 'checks'],
  },
];

describe('data-quality checks in definitions', () => {
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

  itRejectsEach(CASES, () => ({ repo, registryBefore }));

  it('plan shows the checks of a view it would create, and a changed check as a field', async () => {
    await removeCaseFiles(CASES, repo);
    const checked = withChecks(
      ', checks: { notNull: true, min: 0, max: 1 }',
      ', checks: { allowed: [1, 2, "9007199254740993"], maxNullFraction: 0.1 }',
      '    checks: { minRows: 10 }\n',
    );
    await repo.write('defs.yaml', checked.replaceAll('driver_hourly_stats', 'checked_stats'));
    const plan = await runCli(['plan', '--repo', repo.dir]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      [
        '  + featureView checked_stats',
        '      check view: minRows 10',
        '      check conv_rate: notNull, min 0, max 1',
        '      check avg_daily_trips: allowed [1,2,"9007199254740993"], maxNullFraction 0.1',
      ].join('\n'),
    );

    await repo.write('defs.yaml', withChecks(', checks: { max: 1 }'));
    const changed = await runCli(['plan', '--repo', repo.dir]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('  ~ featureView driver_hourly_stats');
    expect(changed.stdout).toContain('      features[0].checks: (absent) → {"max":1}');
    const apply = await runCli(['apply', '--repo', repo.dir]);
    expect(apply.code, apply.stderr).toBe(0);
    const registry = JSON.parse(await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8'));
    const view = registry.objects.featureViews.find(
      (v: { name: string }) => v.name === 'driver_hourly_stats',
    );
    expect(view.features[0].checks).toEqual({ max: 1 });
  });
});
