/**
 * The registry kept in Redis (`registry: redis://…` or `online`): the same snapshots as the file
 * registry, compare-and-swap commits that let exactly one of racing applies through, the version
 * history, change notices by pub/sub and by polling, and clear errors for a bad location. Runs
 * against the standalone Redis and, in the `cluster` project, against the Redis Cluster (the
 * `online` registry follows TROVE_REDIS_CLUSTER there).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/trove-config.ts';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { ConflictError, NotFoundError, UnavailableError } from '../../src/errors.ts';
import { keySlot } from '../../src/online/key-slot.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { openRegistryStore } from '../../src/registry/open-registry-store.ts';
import { createRegistryClient } from '../../src/registry/redis-registry-client.ts';
import { RedisRegistryStore } from '../../src/registry/redis-registry-store.ts';
import type { RegistrySnapshot } from '../../src/registry/registry.ts';
import { runCli } from '../helpers/run-cli.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment that puts a repo's registry in the online store's Redis under `prefix`. */
function redisEnv(prefix: string): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_URL, TROVE_REGISTRY_PATH: `online?prefix=${prefix}` };
}

const prefixes: string[] = [];
function newPrefix(): string {
  const prefix = `trove-test-registry-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return prefix;
}

async function redisConfig(repo: TempRepo, prefix = newPrefix()): Promise<ResolvedConfig> {
  return loadConfig(repo.dir, redisEnv(prefix));
}

function defs(entities: string[]): RepoDefinitions {
  return {
    entities: entities.map((name) => ({ name, joinKeys: [{ name: `${name}_id`, type: 'int64' as const }] })),
    sources: [],
    featureViews: [],
    featureServices: [],
  };
}

const withoutTime = ({ appliedAt: _a, ...rest }: RegistrySnapshot) => rest;

let repo: TempRepo;

beforeAll(async () => {
  repo = await makeTempRepo();
  await copyExampleRepo(repo);
});

afterAll(async () => {
  // The registry's keys, by prefix: each test used its own.
  const config = await loadConfig(repo.dir, redisEnv('cleanup'));
  const client = createRegistryClient(config.registryRedis!);
  for (const prefix of prefixes) {
    await client.del(`{${prefix}}:current`, `{${prefix}}:version`, `{${prefix}}:history`);
  }
  client.disconnect();
  await repo?.remove();
});

describe('a Redis registry', () => {
  it('holds after an apply what the file registry holds, in the same canonical JSON', async () => {
    const fileConfig = await loadConfig(repo.dir, { ...process.env, TROVE_REGISTRY_PATH: '' });
    const config = await redisConfig(repo);
    // The online store's connection, a cluster's too (the `cluster` project sets TROVE_REDIS_CLUSTER).
    const clusterNodes = process.env.TROVE_REDIS_CLUSTER?.split(',');
    expect(config.registryRedis?.cluster).toEqual(clusterNodes);
    expect(config.registryRedis?.description).toMatch(clusterNodes ? /^Redis cluster / : /^redis:\/\//);
    const [onFile, inRedis] = [await applyRepo(fileConfig), await applyRepo(config)];
    expect(inRedis.changed).toBe(true);
    expect(inRedis.applied.version).toBe(1);
    expect(withoutTime(inRedis.applied)).toEqual(withoutTime(onFile.applied));

    const store = openRegistryStore(config);
    try {
      expect(withoutTime(await store.read())).toEqual(withoutTime(onFile.applied));
      // The same text, byte for byte, but for the apply time.
      const client = createRegistryClient(config.registryRedis!);
      const text = await client.get(`{${config.registryRedis!.prefix}}:current`);
      client.disconnect();
      const fileText = await readFile(fileConfig.registryPath, 'utf8');
      const noTime = (t: string) => t.replace(/"appliedAt": "[^"]*"/, '"appliedAt": null');
      expect(noTime(text!)).toBe(noTime(fileText));
      // A second apply of the same repo changes nothing.
      const again = await applyRepo(config);
      expect(again.changed).toBe(false);
      expect((await store.read()).version).toBe(1);
    } finally {
      await store.close();
      await rm(path.dirname(fileConfig.registryPath), { recursive: true, force: true });
    }
  });

  it('lets exactly one of two concurrent applies on the same version through; the other changes nothing', async () => {
    const config = await redisConfig(repo);
    const [a, b, reader] = [openRegistryStore(config), openRegistryStore(config), openRegistryStore(config)];
    try {
      await a.compareAndSwap(0, defs(['base']));
      const before = await reader.read();
      const results = await Promise.allSettled([
        a.compareAndSwap(1, defs(['from_a'])),
        b.compareAndSwap(1, defs(['from_b'])),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
      expect((lost[0]!.reason as ConflictError).code).toBe('REGISTRY_CHANGED');
      expect((lost[0]!.reason as Error).message).toMatch(/version 1 → 2.*nothing was applied/);
      const winner = (won[0] as PromiseFulfilledResult<RegistrySnapshot>).value;
      const after = await reader.read();
      expect(after).toEqual(winner);
      expect(after.version).toBe(before.version + 1);
      // The loser left no trace in the history either.
      expect((await reader.history()).map((h) => h.version)).toEqual([1, 2]);
      // A stale apply later still fails and still changes nothing.
      await expect(b.compareAndSwap(1, defs(['late']))).rejects.toBeInstanceOf(ConflictError);
      expect(await reader.read()).toEqual(winner);
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });

  it('gives every successful one of racing read-then-swap applies its own version, none lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (writers, rounds) => {
          const config = await redisConfig(repo);
          const stores = Array.from({ length: writers }, () => openRegistryStore(config));
          try {
            const committed: RegistrySnapshot[] = [];
            await Promise.all(
              stores.map(async (store, w) => {
                for (let r = 0; r < rounds; r++) {
                  const current = await store.read();
                  try {
                    committed.push(await store.compareAndSwap(current.version, defs([`w${w}_r${r}`])));
                  } catch (err) {
                    if (!(err instanceof ConflictError)) throw err;
                  }
                }
              }),
            );
            const versions = committed.map((s) => s.version).sort((x, y) => x - y);
            expect(versions).toEqual(versions.map((_, i) => i + 1));
            const final = await stores[0]!.read();
            expect(final.version).toBe(committed.length);
            expect(final.hash).toBe(committed.find((s) => s.version === final.version)!.hash);
            const history = await stores[0]!.history();
            expect(history.map((h) => `${h.version}-${h.hash}`).sort()).toEqual(
              committed.map((s) => `${s.version}-${s.hash}`).sort(),
            );
          } finally {
            await Promise.all(stores.map((s) => s.close()));
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  it('keeps every applied version: list, show, and a version applied twice after a reset', async () => {
    const config = await redisConfig(repo);
    const store = openRegistryStore(config);
    try {
      const v1 = await store.compareAndSwap(0, defs(['one']));
      const v2 = await store.compareAndSwap(1, defs(['one', 'two']));
      const v3 = await store.compareAndSwap(2, defs(['three']));
      expect(await store.history()).toEqual([v1, v2, v3].map(({ version, hash }) => ({ version, hash })));
      expect(await store.readVersion(2)).toEqual(v2);
      expect(await store.readVersion(1, v1.hash)).toEqual(v1);
      const missing = await store.readVersion(9).catch((err: unknown) => err);
      expect(missing).toBeInstanceOf(NotFoundError);
      expect((missing as Error).message).toMatch(/version 9 is not in the history .*holds versions 1, 2, 3/);

      // The registry removed (its current and version keys) and applied again counts anew.
      const client = createRegistryClient(config.registryRedis!);
      const tag = `{${config.registryRedis!.prefix}}`;
      await client.del(`${tag}:current`, `${tag}:version`);
      client.disconnect();
      const again = await store.compareAndSwap(0, defs(['again']));
      expect(again.version).toBe(1);
      expect((await store.history()).filter((h) => h.version === 1)).toHaveLength(2);
      expect(await store.readVersion(1)).toEqual(again);
      expect(await store.readVersion(1, v1.hash)).toEqual(v1);

      // A dataset's snapshot, built elsewhere, is added once.
      const outside = { ...v3, version: 7, hash: v3.hash };
      await store.keepVersion(outside);
      await store.keepVersion(outside);
      expect((await store.history()).filter((h) => h.version === 7)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('tells subscribers of a commit by pub/sub, well before its poll would', async () => {
    const config = await redisConfig(repo);
    const location = config.registryRedis!;
    const watcher = new RedisRegistryStore(location, config.project, { pollMs: 60_000 });
    const writer = new RedisRegistryStore(location, config.project);
    try {
      let heard = 0;
      watcher.subscribe(() => heard++);
      // Subscribed once the first poll answered and the channel is joined.
      await until(() => watcher.changeToken() !== 'unknown', 2000);
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const committed = await writer.compareAndSwap(0, defs(['pub']));
      await until(() => heard > 0, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(watcher.changeToken()).toBe(`${committed.version}:${committed.hash}`);
    } finally {
      await Promise.all([watcher.close(), writer.close()]);
    }
  });

  it('finds a commit whose message was lost by polling the version key', async () => {
    const config = await redisConfig(repo);
    const location = config.registryRedis!;
    const watcher = new RedisRegistryStore(location, config.project, { pollMs: 200 });
    const silent = new RedisRegistryStore(location, config.project, { publish: false });
    try {
      let heard = 0;
      watcher.subscribe(() => heard++);
      await until(() => watcher.changeToken() !== 'unknown', 2000);
      const committed = await silent.compareAndSwap(0, defs(['quiet']));
      await until(() => heard > 0, 1000);
      expect(watcher.changeToken()).toBe(`${committed.version}:${committed.hash}`);
    } finally {
      await Promise.all([watcher.close(), silent.close()]);
    }
  });

  it('serves trove apply and trove registry-dump, current and older versions, from the CLI', async () => {
    const prefix = newPrefix();
    const env = { REDIS_URL, TROVE_REGISTRY_PATH: `online?prefix=${prefix}` };
    const applied = await runCli(['apply', '--repo', repo.dir], env, { timeoutMs: 60_000 });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/is now version 1/);
    const dump = await runCli(['registry-dump', '--repo', repo.dir], env, { timeoutMs: 30_000 });
    expect(dump.code, dump.stderr).toBe(0);
    const dumped = JSON.parse(dump.stdout) as { version: number; objects: RepoDefinitions };
    expect(dumped.version).toBe(1);
    expect(dumped.objects.featureViews.length).toBeGreaterThan(0);
    const missing = await runCli(['registry-dump', '--repo', repo.dir, '--version', '4'], env, {
      timeoutMs: 30_000,
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/registry version 4 is not in the history of the registry in .*prefix/);
  });

  it('refuses a registry key that holds no registry, for reads and applies alike, and writes nothing', async () => {
    const config = await redisConfig(repo);
    const store = openRegistryStore(config);
    const client = createRegistryClient(config.registryRedis!);
    const tag = `{${config.registryRedis!.prefix}}`;
    try {
      await client.set(`${tag}:current`, '{"formatVersion": 1, "version": "x"');
      await expect(store.read()).rejects.toMatchObject({ code: 'REGISTRY_CORRUPT', status: 503 });
      const err = await store.compareAndSwap(0, defs(['over'])).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REGISTRY_CORRUPT' });
      expect((err as Error).message).toMatch(/holds no readable registry/);
      expect(await client.exists(`${tag}:version`, `${tag}:history`)).toBe(0);
    } finally {
      client.disconnect();
      await store.close();
    }
  });

  it('keeps its keys in one hash slot, under the prefix as a hash tag', async () => {
    const config = await redisConfig(repo);
    const store = openRegistryStore(config);
    try {
      await store.compareAndSwap(0, defs(['slot']));
      const client = createRegistryClient(config.registryRedis!);
      const tag = `{${config.registryRedis!.prefix}}`;
      const slots = new Set<number>();
      for (const key of ['current', 'version', 'history']) {
        expect(await client.exists(`${tag}:${key}`)).toBe(1);
        slots.add(keySlot(`${tag}:${key}`));
      }
      client.disconnect();
      expect(slots.size).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('a bad Redis registry location', () => {
  const configWith = (registry: string) =>
    loadConfig(repo.dir, { ...process.env, TROVE_REGISTRY_PATH: registry });

  it('is refused when the config loads, saying what is wrong', async () => {
    await expect(configWith('redis://')).rejects.toThrow(
      /TROVE_REGISTRY_PATH: .*names no host; expected redis:\/\/host:port/,
    );
    await expect(configWith('redis://127.0.0.1:6379/zero')).rejects.toThrow(
      /database "zero" is not a number/,
    );
    await expect(configWith('redis://127.0.0.1:99999')).rejects.toThrow(/is not a valid URL/);
    await expect(configWith('redis://127.0.0.1:6379?prefx=a')).rejects.toThrow(/unknown option "prefx"/);
    await expect(configWith('redis://127.0.0.1:6379?prefix={x}')).rejects.toThrow(/prefix "\{x\}" must be/);
    await expect(configWith('online?db=2')).rejects.toThrow(/unknown option "db"/);
    // Credentials never reach a message.
    await expect(configWith('redis://user:s3cret@127.0.0.1:6379/x')).rejects.toThrow(
      /^(?!.*s3cret).*database "x"/,
    );
  });

  it('is refused in trove.yaml too, naming the field', async () => {
    const bad = await makeTempRepo();
    try {
      await bad.write('trove.yaml', 'project: p\nregistry: "redis://127.0.0.1:6379/1?prefix=a b"\n');
      await expect(loadConfig(bad.dir, { ...process.env, TROVE_REGISTRY_PATH: '' })).rejects.toThrow(
        /trove\.yaml: field registry: prefix "a b" must be/,
      );
      await bad.write('trove.yaml', 'project: p\nregistry: redis://127.0.0.1:6379/3?prefix=team.a\n');
      const config = await loadConfig(bad.dir, { ...process.env, TROVE_REGISTRY_PATH: '' });
      expect(config.registryRedis?.prefix).toBe('team.a');
      expect(config.registryRedis?.url).toBe('redis://127.0.0.1:6379/3');
      expect(config.registryPath).toBe('redis://127.0.0.1:6379/3 (prefix team.a)');
    } finally {
      await bad.remove();
    }
  });

  it('that nothing answers at fails reads and applies with an unavailable error, writing nothing', async () => {
    const config = await configWith('redis://127.0.0.1:1/0?prefix=nobody');
    const store = openRegistryStore(config);
    try {
      const err = await store.read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(
        /the registry in redis:\/\/127\.0\.0\.1:1\/0 \(prefix nobody\) cannot be read: .*ECONNREFUSED/,
      );
    } finally {
      await store.close();
    }
    const cli = await runCli(
      ['apply', '--repo', repo.dir],
      { TROVE_REGISTRY_PATH: 'redis://127.0.0.1:1/0' },
      { timeoutMs: 60_000 },
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/registry in redis:\/\/127\.0\.0\.1:1\/0 .*cannot be read/);
  });
});

async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
