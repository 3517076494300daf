import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparableExampleDump, EXAMPLE_TRANSFORMS, exampleTransform } from '../helpers/example-dump.ts';
import { runCli } from '../helpers/run-cli.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

/**
 * The registry dump without its version, which depends on how many applies came before, and with
 * the YAML variant's transform location read as the TypeScript one (see example-dump.ts).
 */
function comparable(dump: string): unknown {
  const { version: _version, ...rest } = JSON.parse(comparableExampleDump(dump)) as { version: number };
  return rest;
}

describe('the example repo', () => {
  let ts: TempRepo;
  let yaml: TempRepo;

  beforeAll(async () => {
    ts = await makeTempRepo();
    yaml = await makeTempRepo();
    await copyExampleRepo(ts);
  });
  afterAll(async () => {
    await ts.remove();
    await yaml.remove();
  });

  it('registers identical objects from its TypeScript and its YAML (trove init) definitions, transforms apart', async () => {
    const init = await runCli(['init', yaml.dir, '--rows', '2000']);
    expect(init.code, init.stderr).toBe(0);

    for (const repo of [ts, yaml]) {
      const apply = await runCli(['apply', '--repo', repo.dir]);
      expect(apply.stderr).toBe('');
      expect(apply.code).toBe(0);
      expect(apply.stdout).toMatch(/Applied: registry of ride_hailing is now version 1/);
    }
    const tsDump = await runCli(['registry-dump', '--repo', ts.dir]);
    const yamlDump = await runCli(['registry-dump', '--repo', yaml.dir]);
    expect(tsDump.code).toBe(0);
    const objects = comparable(tsDump.stdout) as {
      objects: { featureViews: { name: string; features: { name: string; type: string }[] }[] };
    };
    expect(objects.objects.featureViews).toHaveLength(5);
    // The aggregation view's features, typed from the trips columns at apply (fare DOUBLE, rating INTEGER).
    expect(objects.objects.featureViews.find((v) => v.name === 'driver_trip_stats')?.features).toEqual([
      { name: 'count_1h', type: 'int64' },
      { name: 'count_1d', type: 'int64' },
      { name: 'count_7d', type: 'int64' },
      { name: 'fare_sum_1d', type: 'float64' },
      { name: 'fare_sum_7d', type: 'float64' },
      { name: 'fare_mean_1d', type: 'float64' },
      { name: 'fare_mean_7d', type: 'float64' },
      { name: 'rating_last_7d', type: 'int32' },
    ]);
    // The on-demand view reads the aggregation view's mean and the request's fare.
    expect(objects.objects.featureViews.find((v) => v.name === 'fare_vs_driver_mean')).toMatchObject({
      kind: 'onDemand',
      request: [{ name: 'fare', type: 'float64' }],
      inputs: ['driver_trip_stats:fare_mean_7d'],
      features: [{ name: 'fare_ratio', type: 'float64' }],
      mode: 'row',
    });
    // Its transform lives in the view in TypeScript, in transforms.ts for YAML.
    expect(exampleTransform(tsDump.stdout)).toEqual(EXAMPLE_TRANSFORMS.typescript);
    expect(exampleTransform(yamlDump.stdout)).toEqual(EXAMPLE_TRANSFORMS.yaml);
    expect(comparable(yamlDump.stdout)).toEqual(objects);
    // Byte-identical but for that, so the dump diffs cleanly between environments.
    expect(comparableExampleDump(yamlDump.stdout)).toBe(comparableExampleDump(tsDump.stdout));
  });

  it('plans no changes after an apply, and applying again keeps the version', async () => {
    const plan = await runCli(['plan', '--repo', ts.dir]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/No changes/);
    const again = await runCli(['apply', '--repo', ts.dir]);
    expect(again.stdout).toMatch(/stays at version 1/);
  });

  it('plans a readable diff of a change', async () => {
    await yaml.write(
      'extra.yaml',
      'featureServices:\n  - name: fare_model\n    features: ["driver_customer_trips:last_fare"]\n',
    );
    const plan = await runCli(['plan', '--repo', yaml.dir]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('+ featureService fare_model');
    expect(plan.stdout).toContain('1 to create, 0 to change, 0 to delete.');
  });
});

describe('removing a view', () => {
  it('removes it from the registry on the next apply', async () => {
    const repo = await makeTempRepo();
    try {
      await copyExampleRepo(repo, 500);
      expect((await runCli(['apply', '--repo', repo.dir])).code).toBe(0);
      const { readFile, writeFile } = await import('node:fs/promises');
      const viewsFile = `${repo.dir}/feature-views.ts`;
      const text = await readFile(viewsFile, 'utf8');
      await writeFile(viewsFile, text.replace('export const customerProfile =', 'const customerProfile ='));
      await writeFile(
        `${repo.dir}/feature-services.ts`,
        // Every service that names the view lets go of it, or the apply refuses the dangling name.
        (await readFile(`${repo.dir}/feature-services.ts`, 'utf8')).replaceAll(
          /\s*'customer_profile:current_balance',/g,
          '',
        ),
      );
      const apply = await runCli(['apply', '--repo', repo.dir]);
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toContain('- featureView customer_profile');
      const dump = JSON.parse((await runCli(['registry-dump', '--repo', repo.dir])).stdout) as {
        version: number;
        objects: { featureViews: { name: string }[] };
      };
      expect(dump.version).toBe(2);
      expect(dump.objects.featureViews.map((v) => v.name)).toEqual([
        'driver_customer_trips',
        'driver_hourly_stats',
        'driver_trip_stats',
        'fare_vs_driver_mean',
      ]);
    } finally {
      await repo.remove();
    }
  });
});
