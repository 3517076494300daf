/**
 * A real server for tests: a scratch repo (tests/.tmp) with a registry written directly, the real
 * FeatureStore against the Redis at REDIS_URL under a key prefix of its own, listening on
 * 127.0.0.1 on a free port, called over HTTP. `close()` removes the repo and the Redis keys.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { commitRegistry, readRegistryFile } from '../../src/registry/registry-file.ts';
import { buildServer, type ServerOptions, serverOptionsFromConfig } from '../../src/server/app.ts';
import { parseLosslessJson } from '../../src/server/lossless-json.ts';
import type { ServingStore } from '../../src/server/serving-store.ts';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Definitions served by test servers: three views over push sources, one with a ttl. */
export function testDefinitions(): RepoDefinitions {
  const base = { kind: 'batch' as const, online: true, offline: true };
  return {
    entities: [
      { name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] },
      { name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] },
    ],
    sources: [
      { kind: 'push', name: 'customer_push', timestampField: 'event_timestamp' },
      {
        kind: 'push',
        name: 'driver_push',
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      },
      { kind: 'parquet', name: 'not_a_push_source', path: 'data/none.parquet', timestampField: 'ts' },
    ],
    featureViews: [
      {
        ...base,
        name: 'customer_profile',
        entities: ['customer'],
        source: 'customer_push',
        ttl: 0,
        features: [
          { name: 'current_balance', type: 'float64' },
          { name: 'lifetime_trips', type: 'int64' },
        ],
      },
      {
        ...base,
        name: 'driver_hourly_stats',
        entities: ['driver'],
        source: 'driver_push',
        ttl: 0,
        features: [
          { name: 'conv_rate', type: 'float32' },
          { name: 'acc_rate', type: 'float64' },
          { name: 'avg_daily_trips', type: 'int64' },
        ],
      },
      {
        ...base,
        name: 'driver_profile',
        entities: ['driver'],
        source: 'driver_push',
        ttl: 3600,
        features: [
          { name: 'photo', type: 'bytes' },
          { name: 'languages', type: 'list<string>' },
          { name: 'rating', type: 'float64' },
        ],
      },
    ],
    featureServices: [
      { name: 'driver_ranking_v1', features: ['driver_hourly_stats', 'driver_profile:rating'] },
    ],
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed losslessly (big integers as bigint), or undefined if not JSON. */
  json: unknown;
}

export interface TestServer {
  base: string;
  repoDir: string;
  store: FeatureStore;
  app: FastifyInstance;
  request(
    method: string,
    url: string,
    body?: string | Uint8Array,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  post(url: string, body: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(url: string, headers?: Record<string, string>): Promise<Answer>;
  /** Registers new definitions, as `trove apply` would. */
  apply(definitions: RepoDefinitions): Promise<void>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  options?: Partial<ServerOptions>;
  /** Wraps the store, to simulate stalls and failures. */
  wrap?: (store: FeatureStore) => ServingStore;
  definitions?: RepoDefinitions;
  redisUrl?: string;
}

/** JSON text of a request body; bigints written as digits. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `__big__${v}` : v)).replace(
    /"__big__(-?\d+)"/g,
    '$1',
  );
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const id = randomUUID().slice(0, 8);
  const repoDir = path.join(PROJECT_ROOT, 'tests', '.tmp', `server-${id}`);
  await mkdir(repoDir, { recursive: true });
  const project = `srv_${id}`;
  await writeFile(path.join(repoDir, 'trove.yaml'), `project: ${project}\n`);
  const store = await FeatureStore.open(repoDir, {
    env: {
      ...process.env,
      REDIS_URL: options.redisUrl ?? REDIS_URL,
      TROVE_REDIS_KEY_PREFIX: `trove-test-${id}`,
      TROVE_API_KEYS: '',
    },
  });
  const registryPath = store.config.registryPath;
  const apply = async (definitions: RepoDefinitions) => {
    const current = await readRegistryFile(registryPath, project);
    await commitRegistry(registryPath, project, current.version, definitions);
  };
  await apply(options.definitions ?? testDefinitions());

  const serving = options.wrap ? options.wrap(store) : store;
  const app = await buildServer(serving, serverOptionsFromConfig(store.config, options.options ?? {}));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const base = `http://127.0.0.1:${address.port}`;

  const request: TestServer['request'] = async (method, url, body, headers = {}) => {
    const res = await fetch(base + url, { method, body, headers });
    const text = await res.text();
    let json: unknown;
    try {
      json = parseLosslessJson(text, { maxDepth: 1000 });
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    base,
    repoDir,
    store,
    app,
    request,
    post: (url, body, headers = {}) =>
      request('POST', url, typeof body === 'string' ? body : jsonText(body), {
        'content-type': 'application/json',
        ...headers,
      }),
    get: (url, headers) => request('GET', url, undefined, headers),
    apply,
    close: async () => {
      await app.close();
      await store.teardown().catch(() => undefined);
      await store.close();
      await rm(repoDir, { recursive: true, force: true });
    },
  };
}

/** The error body of an answer. */
export function errorOf(answer: Answer): { code: string; message: string } {
  const body = answer.json as { error?: { code: string; message: string } } | undefined;
  if (!body?.error) throw new Error(`not an error answer: ${answer.status} ${answer.text.slice(0, 200)}`);
  return body.error;
}
