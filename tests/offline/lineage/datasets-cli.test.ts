import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli.ts';
import { FEATURES, type LineageRepo, makeLineageRepo, UNRELATED_VIEW } from './lineage-repo.ts';

describe('trove datasets, historical --name, registry-dump --version, gc', () => {
  let repo: LineageRepo;
  let id: string;
  const trove = async (...args: string[]) => {
    const result = await runCli([...args, '--repo', repo.dir]);
    // The stale-build warning appears when sources change while the tests run; it is not the reason.
    return {
      ...result,
      stderr: result.stderr.replace(/^trove: warning: src\/ changed since dist\/ was built.*\n/m, ''),
    };
  };

  beforeAll(async () => {
    repo = await makeLineageRepo({ featureRows: 20_000, entityRows: 5_000 });
    await repo.writeSource(1);
    await repo.apply();
    const store = await repo.open();
    await store.compute();
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await repo?.remove();
  });

  it('historical --name records a dataset that list, show and verify find by name', async () => {
    const built = await trove(
      'historical',
      '--entities',
      repo.entities,
      '--features',
      FEATURES.join(','),
      '--out',
      path.join(repo.dir, 'a.parquet'),
      '--name',
      'cli-train',
    );
    expect(built.stderr).not.toMatch(/^trove:/m);
    expect(built.code).toBe(0);
    const m = /dataset (ds-\d{8}-\d{6}-[0-9a-f]{8}) \(cli-train\), sha256 ([0-9a-f]{64})/.exec(built.stdout);
    expect(m).not.toBeNull();
    id = m![1]!;
    const list = await trove('datasets', 'list');
    expect(list.stdout).toContain(`${id}  cli-train`);
    const shown = await trove('datasets', 'show', 'cli-train');
    expect(shown.stdout).toContain(`dataset ${id} (cli-train)`);
    expect(shown.stdout).toContain('registry: version 1');
    expect(shown.stdout).toContain(
      `output: ${path.join(repo.dir, 'a.parquet')}, parquet, 5000 rows, sha256 ${m![2]}`,
    );
    // The statistics the manifest records, one line per feature column.
    expect(shown.stdout).toContain('statistics: 5000 rows');
    expect(shown.stdout).toMatch(/^ {2}rate +float64 +\d+/m);
    const json = JSON.parse((await trove('datasets', 'show', id, '--json')).stdout) as {
      id: string;
      statistics: { rows: number; features: { name: string }[] };
    };
    expect(json.id).toBe(id);
    expect(json.statistics.rows).toBe(5000);
    const verified = await trove('datasets', 'verify', 'cli-train');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('everything it read is unchanged');
  });

  it('registry-dump --version prints a version the registry history kept', async () => {
    await repo.apply('7d', UNRELATED_VIEW);
    const old = JSON.parse((await trove('registry-dump', '--version', '1')).stdout) as {
      version: number;
      objects: { featureViews: { name: string }[] };
    };
    expect(old.version).toBe(1);
    expect(old.objects.featureViews.map((v) => v.name)).toEqual(['stats']);
    const now = JSON.parse((await trove('registry-dump')).stdout) as { version: number };
    expect(now.version).toBe(2);
    const missing = await trove('registry-dump', '--version', '9');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^trove: registry version 9 is not in the registry history .* \(it holds versions 1, 2\)\n$/,
    );
  });

  it('verify exits 1 naming a changed view; reproduce rebuilds the same bytes', async () => {
    await repo.apply('1d', UNRELATED_VIEW);
    const verified = await trove('datasets', 'verify', 'cli-train');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('view stats: definition changed');
    expect(verified.stderr).toBe(`trove: dataset ${id} changed: registry version 1, view stats\n`);
    const rebuilt = await trove(
      'datasets',
      'reproduce',
      'cli-train',
      '--out',
      path.join(repo.dir, 'b.parquet'),
    );
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain(`identical to dataset ${id}`);
  });

  it('refuses unknown datasets, bad names and other formats with one line', async () => {
    const unknown = await trove('datasets', 'show', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^trove: no dataset with id or name nope in the catalog .*\n$/);
    const badName = await trove(
      'historical',
      '--entities',
      repo.entities,
      '--features',
      FEATURES[0]!,
      '--out',
      path.join(repo.dir, 'c.parquet'),
      '--name',
      'bad name!',
    );
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/^trove: dataset name "bad name!": expected letters, digits/m);
    const csv = await trove('datasets', 'reproduce', id, '--out', path.join(repo.dir, 'b.csv'));
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain('was written as parquet; give --out a .parquet file');
  });

  it('gc reports what it kept and removed', async () => {
    const gc = await trove('gc');
    expect(gc.code).toBe(0);
    expect(gc.stdout).toMatch(
      /^removed 0 expired partition versions; kept 0 that younger datasets read and 0 within the retention period\n$/,
    );
  });
});
