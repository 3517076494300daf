/**
 * A server whose registry is in Redis serves an apply made elsewhere (another process, another
 * machine) within a second: told by pub/sub, or, when the message is lost, by its poll of the
 * version key. A materializer worker reads through the same store, so it sees what the server sees.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisRegistryLocation } from '../../src/config/registry-location.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { createRegistryClient } from '../../src/registry/redis-registry-client.ts';
import { RedisRegistryStore } from '../../src/registry/redis-registry-store.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { PROJECT_ROOT } from '../helpers/temp-repo.ts';
import { testDefinitions } from './server-fixture.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let repoDir: string;
let store: FeatureStore;
let app: FastifyInstance;
let base: string;
let location: RedisRegistryLocation;
let project: string;

beforeAll(async () => {
  const id = randomUUID().slice(0, 8);
  project = `reg_${id}`;
  repoDir = path.join(PROJECT_ROOT, 'tests', '.tmp', `redis-registry-${id}`);
  await mkdir(repoDir, { recursive: true });
  await writeFile(
    path.join(repoDir, 'trove.yaml'),
    `project: ${project}\nregistry: online?prefix=trove-test-registry-${id}\n`,
  );
  store = await FeatureStore.open(repoDir, {
    env: { ...process.env, REDIS_URL, TROVE_REDIS_KEY_PREFIX: `trove-test-${id}`, TROVE_API_KEYS: '' },
  });
  location = store.config.registryRedis!;
  const writer = new RedisRegistryStore(location, project);
  await writer.compareAndSwap(0, testDefinitions());
  await writer.close();
  app = await buildServer(store, serverOptionsFromConfig(store.config, {}));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
  await store?.teardown().catch(() => undefined);
  if (location) {
    const client = createRegistryClient(location);
    const tag = `{${location.prefix}}`;
    await client.del(`${tag}:current`, `${tag}:version`, `${tag}:history`);
    client.disconnect();
  }
  await store?.close();
  await rm(repoDir, { recursive: true, force: true });
});

async function servedVersion(): Promise<number> {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { registry_version: number }).registry_version;
}

/** Applies a changed registry from another connection; resolves to the ms until the server serves it. */
async function applyElsewhere(options: { publish: boolean }, name: string): Promise<number> {
  const before = await servedVersion();
  // Let the server's subscription and first poll settle before the clock starts.
  await new Promise((r) => setTimeout(r, 200));
  const writer = new RedisRegistryStore(location, project, { publish: options.publish });
  try {
    const current = await writer.read();
    expect(current.version).toBe(before);
    const next = testDefinitions();
    next.featureViews.push({ ...next.featureViews[0]!, name });
    const applied = await writer.compareAndSwap(current.version, next);
    const started = Date.now();
    while ((await servedVersion()) !== applied.version) {
      if (Date.now() - started > 5000) throw new Error('the server never served the new version');
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = Date.now() - started;
    const view = await fetch(`${base}/feature-views/${name}`);
    expect(view.status).toBe(200);
    return elapsed;
  } finally {
    await writer.close();
  }
}

describe('a server with its registry in Redis', () => {
  it('serves an apply made elsewhere within a second (pub/sub)', async () => {
    expect(await servedVersion()).toBe(1);
    const elapsed = await applyElsewhere({ publish: true }, 'customer_profile_v2');
    expect(elapsed).toBeLessThan(1000);
  });

  it('serves it within about a second when the message is lost (polling)', async () => {
    const elapsed = await applyElsewhere({ publish: false }, 'customer_profile_v3');
    expect(elapsed).toBeLessThan(2000);
  });

  it('reads the registry once per change, not once per request', async () => {
    const version = await servedVersion();
    const registries = new Set(await Promise.all(Array.from({ length: 20 }, () => store.registry())));
    expect(registries.size).toBe(1);
    expect([...registries][0]!.version).toBe(version);
  });
});
