/**
 * Definition files built to exhaust the YAML parser are refused with a message that says which
 * limit they hit, and the loader stays responsive on huge but legitimate lists.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDefinitions } from '../../src/definitions/load-definitions.ts';
import { aliasBombYaml, nestedYaml } from '../helpers/hostile-yaml.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

describe('hostile definition files', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await makeTempRepo();
    await repo.write('trove.yaml', 'project: p\n');
  });
  afterEach(() => repo.remove());

  async function problems(text: string): Promise<string[]> {
    await repo.write('defs.yaml', text);
    return (await readDefinitions(repo.dir)).problems.map((p) => `${p.file}: ${p.message}`);
  }

  it('refuses nesting too deep to parse, saying so', async () => {
    expect(await problems(`entities: ${nestedYaml(100_000)}\n`)).toEqual([
      expect.stringMatching(/^defs.yaml: YAML nested too deeply to read$/),
    ]);
  });

  it('refuses aliases that expand too often, saying so', async () => {
    expect(await problems(aliasBombYaml('entities'))).toEqual([
      expect.stringMatching(/^defs.yaml: YAML expands aliases \(\*name\) too many times/),
    ]);
  });

  it('reads 30,000 entities in seconds', async () => {
    const started = performance.now();
    const list = Array.from(
      { length: 30_000 },
      (_, i) => `  - { name: e${i}, joinKeys: [{ name: k, type: int64 }] }`,
    );
    await repo.write('defs.yaml', `entities:\n${list.join('\n')}\n`);
    const loaded = await readDefinitions(repo.dir);
    expect(loaded.problems).toEqual([]);
    expect(loaded.definitions.entities).toHaveLength(30_000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
