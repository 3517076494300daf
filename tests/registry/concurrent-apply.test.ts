import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { ConflictError } from '../../src/errors.ts';
import { applyRepo, planRepo } from '../../src/registry/apply-repo.ts';
import { commitRegistry, readRegistryFile } from '../../src/registry/registry-file.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, seedRepo, type TempRepo } from '../helpers/temp-repo.ts';

const entity = (name: string) =>
  `entities:\n  - name: ${name}\n    joinKeys: [{ name: ${name}_id, type: int64 }]\n`;

describe('concurrent applies', () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await makeTempRepo();
    await seedRepo(repo);
  });
  afterAll(() => repo.remove());

  it('the later of two applies planned on the same version fails and writes nothing', async () => {
    await repo.write('defs.yaml', entity('driver'));
    const config = await loadConfig(repo.dir);
    const first = await planRepo(config);
    await repo.write('defs.yaml', entity('rider'));
    const second = await planRepo(config);
    expect(first.current.version).toBe(second.current.version);

    await commitRegistry(config.registryPath, config.project, first.current.version, first.desired);
    const afterFirst = await readFile(config.registryPath, 'utf8');
    const late = commitRegistry(config.registryPath, config.project, second.current.version, second.desired);
    await expect(late).rejects.toBeInstanceOf(ConflictError);
    await expect(late).rejects.toThrow(
      /registry changed while this apply ran .*run trove plan and apply again/,
    );
    expect(await readFile(config.registryPath, 'utf8')).toBe(afterFirst);
    expect((await readRegistryFile(config.registryPath, config.project)).objects.entities[0]?.name).toBe(
      'driver',
    );
  });

  it('racing applies never lose a committed change: every success gets its own version', async () => {
    const config = await loadConfig(repo.dir);
    const start = (await readRegistryFile(config.registryPath, config.project)).version;
    const names = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    // Each apply plans its own desired state, then all commit at once against the version they read.
    const plans = [];
    for (const name of names) {
      await repo.write('defs.yaml', entity(name));
      plans.push({ name, plan: await planRepo(config) });
    }
    const outcomes = await Promise.allSettled(
      plans.map(({ plan }) =>
        commitRegistry(config.registryPath, config.project, plan.current.version, plan.desired),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConflictError);
    const final = await readRegistryFile(config.registryPath, config.project);
    expect(final.version).toBe(start + 1);
    const winner = plans[outcomes.findIndex((o) => o.status === 'fulfilled')];
    expect(final.objects.entities.map((e) => e.name)).toEqual([winner?.name]);
  });

  it('two apply processes at once: each either commits its own version or fails with a clear message', async () => {
    const a = await makeTempRepo();
    try {
      await seedRepo(a);
      const config = await loadConfig(a.dir);
      await a.write('one.yaml', entity('x1'));
      await applyRepo(config);
      const results = await Promise.all([
        runCli(['apply', '--repo', a.dir]),
        (async () => {
          await a.write('two.yaml', entity('x2'));
          return runCli(['apply', '--repo', a.dir]);
        })(),
      ]);
      for (const r of results) {
        if (r.code !== 0) expect(r.stderr).toMatch(/registry changed while this apply ran|registry lock/);
      }
      const final = await readRegistryFile(path.join(a.dir, '.trove/registry.json'), 'test_project');
      const committed = results.filter((r) => r.stdout.includes('Applied:')).length;
      expect(final.version).toBe(1 + committed);
    } finally {
      await a.remove();
    }
  });
});
