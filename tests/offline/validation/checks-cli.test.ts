/**
 * Checks through the real `trove` command: compute prints every failing check with sample rows and
 * exits non-zero, materialize then refuses with a one-line reason, and --skip-checks on either
 * goes ahead with a warning line on stderr.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { REDIS_URL } from '../../online/online-fixture.ts';

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: stats
    kind: csv
    path: data/stats.csv
    timestampField: event_timestamp
featureViews:
  - name: checked
    entities: [driver]
    source: stats
    features:
      - { name: rate, type: float64, checks: { max: 1 } }
`;

const GOOD = 'driver_id,event_timestamp,rate\n1,2024-01-01T10:00:00Z,0.5\n2,2024-01-01T11:00:00Z,1\n';
const BAD = 'driver_id,event_timestamp,rate\n1,2024-01-01T10:00:00Z,0.5\n2,2024-01-01T11:00:00Z,3\n';

const id = randomUUID().slice(0, 8);
const env = { REDIS_URL, TROVE_REDIS_KEY_PREFIX: `trove-test-checks-cli-${id}` };
let repo: TempRepo;

const trove = (...args: string[]) => runCli([...args, '--repo', repo.dir], env);
const WARNING = /"level":"warn","msg":"data-quality checks skipped \(skipChecks\)"/;

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: checks_cli_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/stats.csv', GOOD);
  const apply = await trove('apply');
  expect(apply.code, apply.stderr).toBe(0);
  const compute = await trove('compute');
  expect(compute.code, compute.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await trove('teardown');
  await repo?.remove();
});

describe('trove and checks', () => {
  it('compute reports each failing check with its rows and exits non-zero; materialize refuses', async () => {
    await repo.write('data/stats.csv', BAD);
    const compute = await trove('compute');
    expect(compute.code).toBe(1);
    expect(compute.stderr).toContain(
      [
        'feature view checked: 1 check failed; nothing was committed',
        '  rate max 1: 1 of 2 rows in partition 2024-01-01, e.g. {driver_id: 2, event_timestamp: 2024-01-01T11:00:00.000000Z, rate: 3.0}',
      ].join('\n'),
    );
    expect(compute.stderr).toContain(
      'trove: checks failed for feature view checked (1 check); nothing was committed for it\n',
    );

    const materialize = await trove('materialize', '2024-01-01', '2024-01-02');
    expect(materialize.code).toBe(1);
    expect(materialize.stderr).toMatch(
      /^trove: materialization refused: feature view checked: its newest compute \(.+\) failed 1 check and committed nothing \(rate max 1: 1 of 2 rows in partition 2024-01-01, e\.g\. .+\); fix the data and compute again, or materialize with --skip-checks\n$/m,
    );

    const skipped = await trove('materialize', '2024-01-01', '2024-01-02', '--skip-checks');
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(WARNING);
    expect(skipped.stderr).toContain('"stage":"materialize"');
  });

  it('compute --skip-checks commits failing rows with a warning', async () => {
    await repo.write('data/stats.csv', BAD);
    const compute = await trove('compute', '--skip-checks');
    expect(compute.code, compute.stderr).toBe(0);
    expect(compute.stderr).toMatch(WARNING);
    expect(compute.stderr).toContain('"stage":"compute"');
    expect(compute.stdout).toContain('checked: 2 rows in 1 partitions');
    // Skipped is no failure: materialization goes ahead.
    const materialize = await trove('materialize', '2024-01-01', '2024-01-02');
    expect(materialize.code, materialize.stderr).toBe(0);
  });
});
