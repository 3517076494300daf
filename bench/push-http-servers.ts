/**
 * Child process of the push.http benchmark: serves `POST /push` twice. Trove's server does what
 * `trove serve` does for a push: the body's schema, the registry lookup, every row checked against
 * the types of the 3 views over the source, encoding, the newest-wins script and the newest-event
 * record. The bare Fastify route is what a minimal hand-made server would do with the same JSON
 * body: one plain HSET per row, all in one ioredis pipeline, into the bare layout online.http reads
 * (one hash per driver, fields `<feature>` and `<view>_ts`), with no newest-wins guard and no
 * validation beyond Fastify's JSON parsing. Both answer `{push_source_name, to, rows}`. Serves until
 * SIGTERM (bench/http-server-child.ts), then removes its data.
 */
import Fastify from 'fastify';
import { BENCH_VIEWS, featureNames, listenTrove, openBenchStore } from './http-bench-store.ts';
import { serveUntilTerminated } from './http-server-child.ts';

interface PushBody {
  push_source_name: string;
  df: Record<string, unknown[]>;
  to?: string;
}

const bench = await openBenchStore('bench_push');
const { redis, bareKey } = bench;
const trove = await listenTrove(bench.store);

const bare = Fastify({ logger: false });
bare.post('/push', async (request) => {
  const { push_source_name, df, to = 'online' } = request.body as PushBody;
  const drivers = df.driver_id ?? [];
  const times = df.event_timestamp ?? [];
  const pipeline = redis.pipeline();
  for (let r = 0; r < drivers.length; r++) {
    const fields: Record<string, string> = {};
    for (const v of BENCH_VIEWS) {
      for (const f of featureNames(v)) {
        const value = df[f]?.[r];
        if (value != null) fields[f] = String(value);
      }
      fields[`${v}_ts`] = String(times[r]);
    }
    pipeline.hset(bareKey(drivers[r]), fields);
  }
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  return { push_source_name, to, rows: drivers.length };
});
await bare.listen({ host: '127.0.0.1', port: 0 });

serveUntilTerminated(trove, bare, () => bench.close());
