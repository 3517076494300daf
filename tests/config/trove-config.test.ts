import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/trove-config.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

describe('trove.yaml', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await makeTempRepo();
  });
  afterEach(() => repo.remove());

  it('fills defaults and resolves paths against the repo', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    const config = await loadConfig(repo.dir, {});
    expect(config.registryPath).toBe(`${repo.dir}/.trove/registry.json`);
    expect(config.offlineStorePath).toBe(`${repo.dir}/.trove/offline`);
    expect(config.onlineStore.redis).toBe('redis://127.0.0.1:6379');
    expect(config.server.port).toBe(6566);
    expect(config.materialize.lateArrival).toBe(3600);
  });

  it('takes URLs and secrets from the environment over the file', async () => {
    await repo.write('trove.yaml', 'project: shop\nonlineStore:\n  redis: redis://db:6379\n');
    const config = await loadConfig(repo.dir, {
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      TROVE_SERVER_PORT: '7000',
      TROVE_API_KEYS: 'k-0123456789abcdef:read+write',
    });
    expect(config.onlineStore.redis).toBe('redis://127.0.0.1:6380/2');
    expect(config.server.port).toBe(7000);
    expect(config.server.auth.keys).toEqual([{ key: 'k-0123456789abcdef', scopes: ['read', 'write'] }]);
  });

  it('names the field and what was expected when the file is invalid', async () => {
    await repo.write('trove.yaml', 'project: shop\nserver:\n  port: "high"\nonlineStore:\n  colour: blue\n');
    const err = await loadConfig(repo.dir, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/trove.yaml: field server.port: .*number/);
    expect((err as Error).message).toMatch(/trove.yaml: field onlineStore: .*colour/);
  });

  it('says when the folder is not a feature repo', async () => {
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/no trove.yaml in .*trove init DIR/);
  });

  it('rejects a malformed key list in the environment', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    await expect(loadConfig(repo.dir, { TROVE_API_KEYS: 'justakey' })).rejects.toThrow(/TROVE_API_KEYS/);
  });
});
