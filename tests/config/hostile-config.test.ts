/**
 * trove.yaml comes with the repo, so the places it names stay inside the repo: a registry or
 * offline store elsewhere (by path, `..` or a link), or a trove.yaml that is itself a link out of
 * the repo, is refused before anything is read or written there. The operator's environment may
 * still put them anywhere. Files built to exhaust the YAML parser fail with a message saying so.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/trove-config.ts';
import { aliasBombYaml, nestedYaml } from '../helpers/hostile-yaml.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const TOKEN = `CANARY${randomBytes(6).toString('hex')}`;

describe('paths trove.yaml names', () => {
  let repo: TempRepo;
  let outside: string;
  beforeEach(async () => {
    repo = await makeTempRepo();
    outside = `${repo.dir}-outside`;
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'canary.yaml'), `project: shop\n${TOKEN}: 1\n`);
  });
  afterEach(async () => {
    await repo.remove();
    await rm(outside, { recursive: true, force: true });
  });

  it.each([
    ['registry', () => `registry: ${path.join(outside, 'registry.json')}`],
    ['registry', () => 'registry: ../outside-registry.json'],
    ['registry', () => 'registry: /etc/passwd'],
    ['offlineStore.path', () => `offlineStore:\n  path: ${outside}`],
    ['offlineStore.path', () => 'offlineStore:\n  path: .trove/../../elsewhere'],
  ])('refuses %s outside the repo', async (field, line) => {
    await repo.write('trove.yaml', `project: shop\n${line()}\n`);
    const err = await loadConfig(repo.dir, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      new RegExp(`field ${field.replace('.', '\\.')}: .* leads outside the repo`),
    );
  });

  it('refuses a .trove folder that links outside', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    await symlink(outside, path.join(repo.dir, '.trove'));
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/field registry: .* leads outside the repo/);
  });

  it('refuses a trove.yaml that links outside, without quoting it', async () => {
    await symlink(path.join(outside, 'canary.yaml'), path.join(repo.dir, 'trove.yaml'));
    const err = await loadConfig(repo.dir, {}).then(
      () => new Error('accepted'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/trove.yaml in .* is a symbolic link that leads outside the repo/);
    expect(err.message).not.toContain(TOKEN);
  });

  it('takes places outside the repo from the environment, and data folders', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    const config = await loadConfig(repo.dir, {
      TROVE_OFFLINE_STORE_PATH: path.join(outside, 'store'),
      TROVE_REGISTRY_PATH: path.join(outside, 'registry.json'),
      TROVE_DATA_DIRS: `${outside}${path.delimiter}/data/lake`,
    });
    expect(config.offlineStorePath).toBe(path.join(outside, 'store'));
    expect(config.registryPath).toBe(path.join(outside, 'registry.json'));
    expect(config.dataDirs).toEqual([outside, '/data/lake']);
    await expect(loadConfig(repo.dir, { TROVE_DATA_DIRS: 'relative/dir' })).rejects.toThrow(
      /not an absolute path/,
    );
    expect(
      await access(path.join(outside, 'store')).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });
});

describe('trove.yaml built to exhaust the parser', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await makeTempRepo();
  });
  afterEach(() => repo.remove());

  it('refuses deep nesting, alias bombs and oversized files, saying which', async () => {
    await repo.write('trove.yaml', `project: ${nestedYaml(100_000)}\n`);
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/trove.yaml: YAML nested too deeply/);
    await repo.write('trove.yaml', `project: shop\n${aliasBombYaml('extra')}`);
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/trove.yaml: YAML expands aliases/);
    await repo.write('trove.yaml', `project: shop\n# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/trove.yaml is larger than/);
  });
});
