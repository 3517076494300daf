/**
 * Child process of the online.agg and push.agg benchmarks: sets up `trip_aggs` online
 * (agg-bench-store.ts, at the size the scenario announced) and serves it twice. Trove's server as
 * `trove serve` builds it answers `/get-online-features` and `/push`. The bare Fastify route is
 * what a team that precomputes aggregates in a batch job would serve: the 13 values of each
 * driver, computed once at setup time `t` (by Trove's training-dataset query, entity rows of every
 * driver at `t`), stored as plain strings in one hash per driver with `t` beside them, read by one
 * HMGET per entity on a plain ioredis client and answered in the same JSON shape (a null value is
 * NULL_VALUE, anything else PRESENT, each feature's event time `t`). Serves until SIGTERM
 * (http-server-child.ts), then removes its data.
 */

import type { Table } from 'apache-arrow';
import Fastify from 'fastify';
import {
  AGG_STEP_MS,
  AGG_STRING_FEATURE,
  AGG_VIEW,
  announcedAggBenchSize,
  openAggBenchStore,
} from './agg-bench-store.ts';
import { listenTrove } from './http-bench-store.ts';
import { serveUntilTerminated } from './http-server-child.ts';
import { FEATURE_COLUMNS } from './tasks/offline-agg-tasks.ts';

const TIME_FIELD = '_t';
const EPOCH = '1970-01-01T00:00:00Z';

const size = announcedAggBenchSize();
const { bench, log } = await openAggBenchStore('bench_agg', size);
process.stderr.write(`  ${log}\n`);
const { store, redis, bareKey } = bench;
const drivers = Array.from({ length: size.drivers }, (_, i) => i);

// Values computed just before a window start moves could not be checked against Trove's reads.
const intoStep = Date.now() % AGG_STEP_MS;
if (intoStep > AGG_STEP_MS - 30_000) await new Promise((r) => setTimeout(r, AGG_STEP_MS - intoStep + 1000));
const t = new Date().toISOString();
const table = (await store.getHistoricalFeatures({
  entities: { columns: { driver_id: drivers, event_timestamp: drivers.map(() => t) } },
  features: [`${AGG_VIEW}:*`],
})) as Table;
const seed = redis.pipeline();
for (let row = 0; row < table.numRows; row++) {
  const fields: Record<string, string> = { [TIME_FIELD]: t };
  for (const f of FEATURE_COLUMNS) {
    const value: unknown = table.getChild(f)?.get(row);
    if (value != null) fields[f] = String(value);
  }
  seed.hset(bareKey(table.getChild('driver_id')?.get(row)), fields);
}
for (const [err] of (await seed.exec()) ?? []) if (err) throw err;

const trove = await listenTrove(store);

const bare = Fastify({ logger: false });
bare.post('/get-online-features', async (request, reply) => {
  const body = request.body as { entities: { driver_id: unknown[] }; features: string[] };
  const ids = body.entities.driver_id;
  const names = body.features.map((r) => r.slice(r.indexOf(':') + 1));
  const hashes = await Promise.all(ids.map((id) => redis.hmget(bareKey(id), ...names, TIME_FIELD)));
  const column = (values: unknown[], statuses: string[], times: string[]) => ({
    values,
    statuses,
    event_timestamps: times,
  });
  const results = [
    column(
      ids,
      ids.map(() => 'PRESENT'),
      ids.map(() => EPOCH),
    ),
    ...names.map((name, f) => {
      const texts = hashes.map((h) => h[f] ?? null);
      return column(
        texts.map((text) => (text === null || name === AGG_STRING_FEATURE ? text : Number(text))),
        texts.map((text) => (text === null ? 'NULL_VALUE' : 'PRESENT')),
        hashes.map((h) => h[names.length] ?? EPOCH),
      );
    }),
  ];
  const answer = { metadata: { feature_names: ['driver_id', ...names] }, results };
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer));
});
await bare.listen({ host: '127.0.0.1', port: 0 });

serveUntilTerminated(trove, bare, () => bench.close());
