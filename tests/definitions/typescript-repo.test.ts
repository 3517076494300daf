/**
 * TypeScript feature repos outside Trove's checkout, through the real `trove` command: they load as
 * ES modules whatever package.json sits beside them, `'trove'` resolves with nothing installed,
 * and `trove init --typescript` gives a repo that registers what the YAML one does and that `tsc`
 * type-checks.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { comparableExampleDump, EXAMPLE_TRANSFORMS, exampleTransform } from '../helpers/example-dump.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, PROJECT_ROOT, type TempRepo } from '../helpers/temp-repo.ts';

const TSC = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const repos: TempRepo[] = [];

async function tempRepo(): Promise<TempRepo> {
  const repo = await makeTempRepo();
  repos.push(repo);
  return repo;
}

afterAll(async () => {
  for (const repo of repos) await repo.remove();
});

/** A repo of two modules that import each other and 'trove', with `packageJson` beside them. */
async function twoModuleRepo(packageJson: string | undefined, entityImport: string): Promise<TempRepo> {
  const repo = await tempRepo();
  await repo.write('trove.yaml', 'project: ts_anywhere\n');
  if (packageJson !== undefined) await repo.write('package.json', packageJson);
  await repo.write(
    'entities.ts',
    "import { entity } from 'trove';\n" +
      "export const rider = entity({ name: 'rider', joinKeys: [{ name: 'rider_id', type: 'int64' }] });\n",
  );
  await repo.write(
    'services.ts',
    `import { featureService, pushSource, featureView } from 'trove';\n` +
      `import { rider } from '${entityImport}';\n` +
      `const keys: readonly string[] = [rider.name];\n` +
      `export const events = pushSource({ name: 'rider_events', timestampField: 'ts' });\n` +
      `export const scores = featureView({ name: 'rider_scores', entities: [...keys], source: 'rider_events', ` +
      `features: [{ name: 'score', type: 'float64' }] });\n` +
      `export const service = featureService({ name: 'rider_v1', features: ['rider_scores'] });\n`,
  );
  return repo;
}

describe('TypeScript definitions outside the checkout', () => {
  it('load a module with no package.json beside it', async () => {
    const repo = await tempRepo();
    await repo.write('trove.yaml', 'project: plain\n');
    await repo.write('defs.ts', 'export const x = 1;\n');
    const plan = await runCli(['plan', '--repo', repo.dir]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/No changes/);
  });

  for (const [label, packageJson] of [
    ['no package.json', undefined],
    ['"type": "module"', '{"type":"module"}\n'],
    ['"type": "commonjs"', '{"type":"commonjs"}\n'],
  ] as const) {
    for (const entityImport of ['./entities.ts', './entities.js', './entities']) {
      it(`load with ${label}, importing '${entityImport}' and 'trove'`, async () => {
        const repo = await twoModuleRepo(packageJson, entityImport);
        const plan = await runCli(['plan', '--repo', repo.dir]);
        expect(plan.stderr).toBe('');
        expect(plan.code).toBe(0);
        expect(plan.stdout).toMatch(/\+ entity rider/);
        expect(plan.stdout).toMatch(/\+ featureView rider_scores/);
        expect(plan.stdout).toMatch(/\+ featureService rider_v1/);
      });
    }
  }

  it('report a module that fails to load, naming the file', async () => {
    const repo = await tempRepo();
    await repo.write('trove.yaml', 'project: broken\n');
    await repo.write('broken.ts', "import { nothing } from './missing.ts';\nexport const x = nothing;\n");
    const plan = await runCli(['plan', '--repo', repo.dir]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/broken\.ts: module failed to load: .*missing\.ts/);
  });
});

describe('trove init --typescript', () => {
  it('registers byte for byte what the YAML repo does but for where its transform lives, and type-checks with tsc', async () => {
    const ts = await tempRepo();
    const yaml = await tempRepo();
    for (const [repo, flags] of [
      [ts, ['--typescript']],
      [yaml, []],
    ] as const) {
      const init = await runCli(['init', repo.dir, '--rows', '500', ...flags]);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const apply = await runCli(['apply', '--repo', repo.dir]);
      expect(apply.stderr).toBe('');
      expect(apply.code).toBe(0);
    }
    const tsDump = await runCli(['registry-dump', '--repo', ts.dir]);
    const yamlDump = await runCli(['registry-dump', '--repo', yaml.dir]);
    expect(tsDump.code).toBe(0);
    expect(tsDump.stdout).toMatch(/driver_hourly_stats/);
    expect(exampleTransform(tsDump.stdout)).toEqual(EXAMPLE_TRANSFORMS.typescript);
    expect(exampleTransform(yamlDump.stdout)).toEqual(EXAMPLE_TRANSFORMS.yaml);
    expect(comparableExampleDump(tsDump.stdout)).toBe(comparableExampleDump(yamlDump.stdout));

    const tscRun = (dir: string) =>
      promisify(execFile)(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.json')]).then(
        () => '',
        (err: { stdout: string }) => err.stdout,
      );
    expect(await tscRun(ts.dir)).toBe('');
    // The check is real: a wrong type in a definition is an editor error.
    const views = path.join(ts.dir, 'feature-views.ts');
    await ts.write('feature-views.ts', (await readFile(views, 'utf8')).replace("'float32'", "'float128'"));
    expect(await tscRun(ts.dir)).toMatch(/feature-views\.ts.*"float128"/);
    // The on-demand view's transform is checked too: it takes a row of values by name.
    await ts.write(
      'feature-views.ts',
      (await readFile(views, 'utf8'))
        .replace("'float128'", "'float32'")
        .replace('transform: (row) =>', 'transform: (row: number) =>'),
    );
    expect(await tscRun(ts.dir)).toMatch(/feature-views\.ts\(\d+,\d+\): error TS2322: Type '\(row: number\)/);
  });
});
