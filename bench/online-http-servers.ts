/**
 * Child process of the online.http benchmark: seeds 100 drivers × 3 views in Redis and serves
 * `/get-online-features` twice: from Trove's server (buildServer: schema, auth and metrics hooks,
 * cached plans, its encoding and serializer) and from a bare Fastify route written as a minimal
 * hand-made server would be: the same values stored as plain hash fields (one hash per driver,
 * fields `<feature>` and `<view>_ts`), one HMGET per entity of the requested fields — the same
 * round trips and commands as Trove's — on a plain ioredis client, and JSON.stringify of the same
 * answer shape. The bare route does no validation, auth, metrics, ttl or status logic
 * beyond PRESENT/NOT_FOUND. Prints `{"trove": port, "bare": port}` and serves until SIGTERM, then
 * removes its data.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import type { RepoDefinitions } from '../src/definitions/repo-definitions.ts';
import { FeatureStore } from '../src/feature-store.ts';
import { commitRegistry } from '../src/registry/registry-file.ts';
import { buildServer, serverOptionsFromConfig } from '../src/server/app.ts';

export const BENCH_VIEWS = ['v1', 'v2', 'v3'];
export const BENCH_DRIVERS = 100;

const id = randomUUID().slice(0, 8);
const dir = path.join(os.tmpdir(), `trove-bench-http-${id}`);
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, 'trove.yaml'), 'project: bench_http\n');
const featureNames = (v: string) => [`${v}_a`, `${v}_b`, `${v}_c`, `${v}_d`];
const definitions: RepoDefinitions = {
  entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
  sources: [{ kind: 'push', name: 'src', timestampField: 'event_timestamp' }],
  featureViews: BENCH_VIEWS.map((v) => ({
    kind: 'batch' as const,
    name: v,
    entities: ['driver'],
    source: 'src',
    ttl: 0,
    online: true,
    offline: true,
    features: [
      { name: `${v}_a`, type: 'float64' as const },
      { name: `${v}_b`, type: 'int64' as const },
      { name: `${v}_c`, type: 'string' as const },
      { name: `${v}_d`, type: 'float32' as const },
    ],
  })),
  featureServices: [],
};
const store = await FeatureStore.open(dir, {
  env: { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-bench-http-${id}`, TROVE_API_KEYS: '' },
});
await commitRegistry(store.config.registryPath, 'bench_http', 0, definitions);

const drivers = Array.from({ length: BENCH_DRIVERS }, (_, i) => 1000 + i);
const df: Record<string, unknown[]> = {
  driver_id: drivers,
  event_timestamp: drivers.map(() => new Date().toISOString()),
};
for (const v of BENCH_VIEWS) {
  const [a, b, c, d] = featureNames(v) as [string, string, string, string];
  df[a] = drivers.map((i) => i / 7);
  df[b] = drivers.map((i) => i * 1_000_003);
  df[c] = drivers.map((i) => `name-${i}`);
  df[d] = drivers.map((i) => i / 3);
}
await store.push({ pushSourceName: 'src', df, to: 'online' });

const trove = await buildServer(store, serverOptionsFromConfig(store.config, { logger: false }));
await trove.listen({ host: '127.0.0.1', port: 0 });

// The bare layout: bare:<id>:{driver} → { v1_a, ..., v1_ts, ... } as plain strings.
const redis = new Redis(store.config.onlineStore.redis);
const bareKey = (driver: unknown) => `bare:${id}:{${String(driver)}}`;
const seed = redis.pipeline();
const eventIso = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
for (const [i, driver] of drivers.entries()) {
  const fields: Record<string, string> = {};
  for (const v of BENCH_VIEWS) {
    for (const f of featureNames(v)) fields[f] = String(df[f]![i]);
    fields[`${v}_ts`] = eventIso;
  }
  seed.hset(bareKey(driver), fields);
}
await seed.exec();
const parse = (feature: string, text: string): unknown => (feature.endsWith('_c') ? text : Number(text));

const bare = Fastify({ logger: false });
bare.post('/get-online-features', async (request, reply) => {
  const body = request.body as { entities: { driver_id: unknown[] }; features: string[] };
  const ids = body.entities.driver_id;
  const refs = body.features.map((r) => {
    const [view, name] = r.split(':') as [string, string];
    return { view, name };
  });
  const fields = [...refs.map((r) => r.name), ...new Set(refs.map((r) => `${r.view}_ts`))];
  const pipeline = redis.pipeline();
  for (const driver of ids) pipeline.hmget(bareKey(driver), ...fields);
  const replies = ((await pipeline.exec()) ?? []).map((r) => (r[1] ?? []) as (string | null)[]);
  const results = [
    {
      values: ids,
      statuses: ids.map(() => 'PRESENT'),
      event_timestamps: ids.map(() => '1970-01-01T00:00:00Z'),
    },
    ...refs.map((ref, index) => {
      const tsIndex = fields.indexOf(`${ref.view}_ts`);
      const values: unknown[] = [];
      const statuses: string[] = [];
      const times: string[] = [];
      for (const reply of replies) {
        const text = reply[index];
        values.push(text == null ? null : parse(ref.name, text));
        statuses.push(text == null ? 'NOT_FOUND' : 'PRESENT');
        times.push(reply[tsIndex] ?? '1970-01-01T00:00:00Z');
      }
      return { values, statuses, event_timestamps: times };
    }),
  ];
  const answer = { metadata: { feature_names: ['driver_id', ...refs.map((r) => r.name)] }, results };
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer));
});
await bare.listen({ host: '127.0.0.1', port: 0 });

const portOf = (server: Server) => (server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ trove: portOf(trove.server), bare: portOf(bare.server) })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await trove.close();
    await bare.close();
    await store.teardown().catch(() => undefined);
    const bareKeys = await redis.keys(`bare:${id}:*`);
    if (bareKeys.length > 0) await redis.del(...bareKeys);
    redis.disconnect();
    await store.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
