/**
 * Child process of the online.http benchmark: seeds 100 drivers × 3 views in Redis and serves
 * `/get-online-features` twice: from Trove's server (buildServer: schema, auth and metrics hooks,
 * cached plans, its encoding and serializer) and from a bare Fastify route written as a minimal
 * hand-made server would be: the same values stored as plain hash fields (one hash per driver,
 * fields `<feature>` and `<view>_ts`), one HMGET per entity of the requested fields — the same
 * round trips and commands as Trove's — on a plain ioredis client, and JSON.stringify of the same
 * answer shape. The bare route does no validation, auth, metrics, ttl or status logic
 * beyond PRESENT/NOT_FOUND. Serves until SIGTERM (bench/http-server-child.ts), then removes its data.
 * With TROVE_REDIS_CLUSTER set, both serve from that Redis Cluster (online.http.cluster).
 */
import Fastify from 'fastify';
import { Cluster } from 'ioredis';
import {
  BENCH_VIEWS,
  featureColumns,
  featureNames,
  listenTrove,
  openBenchStore,
  PUSH_SOURCE,
} from './http-bench-store.ts';
import { serveUntilTerminated } from './http-server-child.ts';

const BENCH_DRIVERS = 100;

const bench = await openBenchStore('bench_http');
const { store, redis, bareKey } = bench;
const drivers = Array.from({ length: BENCH_DRIVERS }, (_, i) => 1000 + i);
const df: Record<string, unknown[]> = {
  driver_id: drivers,
  event_timestamp: drivers.map(() => new Date().toISOString()),
  ...featureColumns(drivers),
};
await store.push({ pushSourceName: PUSH_SOURCE, df, to: 'online' });

const trove = await listenTrove(store);

// On a cluster (TROVE_REDIS_CLUSTER), the bare route reads through a plain ioredis Cluster,
// auto-pipelined: one write per node for a read's HMGETs, as Trove's own connections make.
const nodes = store.config.onlineStore.cluster ?? [];
const cluster = nodes.length > 0 ? new Cluster(nodes, { enableAutoPipelining: true }) : undefined;

// The bare layout: bare:<id>:{driver} → { v1_a, ..., v1_ts, ... } as plain strings.
const seed = redis.pipeline();
const eventIso = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
for (const [i, driver] of drivers.entries()) {
  const fields: Record<string, string> = {};
  for (const v of BENCH_VIEWS) {
    for (const f of featureNames(v)) fields[f] = String(df[f]![i]);
    fields[`${v}_ts`] = eventIso;
  }
  if (cluster) await cluster.hset(bareKey(driver), fields);
  else seed.hset(bareKey(driver), fields);
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
  let replies: (string | null)[][];
  if (cluster) replies = await Promise.all(ids.map((driver) => cluster.hmget(bareKey(driver), ...fields)));
  else {
    const pipeline = redis.pipeline();
    for (const driver of ids) pipeline.hmget(bareKey(driver), ...fields);
    replies = ((await pipeline.exec()) ?? []).map((r) => (r[1] ?? []) as (string | null)[]);
  }
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

serveUntilTerminated(trove, bare, async () => {
  if (cluster) {
    await Promise.all(drivers.map((driver) => cluster.del(bareKey(driver))));
    cluster.disconnect();
  }
  await bench.close();
});
