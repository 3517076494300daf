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

  it('takes a Redis Cluster’s nodes from TROVE_REDIS_CLUSTER over the file', async () => {
    await repo.write('trove.yaml', 'project: shop\nonlineStore:\n  cluster: [db1:6379]\n');
    expect((await loadConfig(repo.dir, {})).onlineStore.cluster).toEqual(['db1:6379']);
    const config = await loadConfig(repo.dir, { TROVE_REDIS_CLUSTER: '10.0.0.1:7000, 10.0.0.2:7000,' });
    expect(config.onlineStore.cluster).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
    // Empty: the file's nodes stay.
    expect((await loadConfig(repo.dir, { TROVE_REDIS_CLUSTER: '' })).onlineStore.cluster).toEqual([
      'db1:6379',
    ]);
  });

  it('names the field and what was expected when the file is invalid', async () => {
    await repo.write('trove.yaml', 'project: shop\nserver:\n  port: "high"\nonlineStore:\n  colour: blue\n');
    const err = await loadConfig(repo.dir, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/trove.yaml: field server.port: .*number/);
    expect((err as Error).message).toMatch(/trove.yaml: field onlineStore: .*colour/);
  });

  // Each kind of schema problem names the field, the value given and what was expected.
  const BAD_VALUES: [kind: string, yaml: string, message: string][] = [
    [
      'a value outside an enum',
      'server:\n  auth:\n    keys:\n      - { keyEnv: K, scopes: [reed] }\n',
      'trove.yaml: field server.auth.keys[0].scopes[0]: got "reed", expected one of read, write, admin',
    ],
    [
      'a value of the wrong type',
      'server:\n  port: "high"\n',
      'trove.yaml: field server.port: got "high", expected a number',
    ],
    [
      'an unknown key',
      'onlineStore:\n  colour: blue\n',
      'trove.yaml: field onlineStore: unknown key "colour"',
    ],
    [
      'a number below its minimum',
      'offlineStore:\n  threads: 0\n',
      'trove.yaml: field offlineStore.threads: got 0, expected more than 0',
    ],
    [
      'a number above its maximum',
      'server:\n  port: 70000\n',
      'trove.yaml: field server.port: got 70000, expected at most 65535',
    ],
    [
      'a string in the wrong format',
      'onlineStore:\n  keyPrefix: "a b"\n',
      'trove.yaml: field onlineStore.keyPrefix: got "a b", expected text matching /^[A-Za-z0-9_.:-]*$/',
    ],
    [
      'a duration of neither accepted type',
      'materialize:\n  lateArrival: [1h]\n',
      'trove.yaml: field materialize.lateArrival: got ["1h"], expected seconds (a non-negative number) or a duration such as 90s',
    ],
    [
      'a duration string that does not parse',
      'materialize:\n  interval: soon\n',
      'trove.yaml: field materialize.interval: got "soon", expected seconds (a non-negative number) or a duration such as 90s',
    ],
  ];
  for (const [kind, yaml, message] of BAD_VALUES) {
    it(`names the value given for ${kind}`, async () => {
      await repo.write('trove.yaml', `project: shop\n${yaml}`);
      const err = await loadConfig(repo.dir, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(message);
    });
  }

  it('cuts a long value short and keeps each problem on one line', async () => {
    await repo.write('trove.yaml', `project: ${'p'.repeat(100_000)}\nserver:\n  host: [1, 2]\n`);
    const message = ((await loadConfig(repo.dir, {}).catch((e: unknown) => e)) as Error).message;
    const lines = message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^trove.yaml: field project: got "p+… \(100000 characters\), expected an identifier/,
    );
    expect(lines[0]!.length).toBeLessThan(300);
    expect(lines[1]).toBe('trove.yaml: field server.host: got [1,2], expected a string');
  });

  it('never shows an API key, even an invalid one', async () => {
    await repo.write(
      'trove.yaml',
      'project: shop\nserver:\n  auth:\n    keys:\n      - { key: sesame, scopes: [read] }\n',
    );
    const message = ((await loadConfig(repo.dir, {}).catch((e: unknown) => e)) as Error).message;
    expect(message).toContain(
      'trove.yaml: field server.auth.keys[0].key: got a string of 6 characters (not shown), expected at least 16 characters',
    );
    expect(message).not.toContain('sesame');
  });

  it('names the value given in the environment key list', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    await expect(loadConfig(repo.dir, { TROVE_API_KEYS: 'k-0123456789abcdef:reed' })).rejects.toThrow(
      'TROVE_API_KEYS: scopes[0]: got "reed", expected one of read, write, admin',
    );
    const short = await loadConfig(repo.dir, { TROVE_API_KEYS: 'sesame:read' }).catch((e: unknown) => e);
    expect((short as Error).message).toBe(
      'TROVE_API_KEYS: key: got a string of 6 characters (not shown), expected at least 16 characters',
    );
  });

  it('says when the folder is not a feature repo', async () => {
    await expect(loadConfig(repo.dir, {})).rejects.toThrow(/no trove.yaml in .*trove init DIR/);
  });

  it('rejects a malformed key list in the environment', async () => {
    await repo.write('trove.yaml', 'project: shop\n');
    await expect(loadConfig(repo.dir, { TROVE_API_KEYS: 'justakey' })).rejects.toThrow(/TROVE_API_KEYS/);
  });
});
