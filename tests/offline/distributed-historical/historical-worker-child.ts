/**
 * A training-dataset shard worker in its own process, for the distributed tests: `node --import
 * tsx historical-worker-child.ts '<json>'` with { dir, prefix, holdMs, ttl? } (another ttl makes
 * another registry, which the worker must refuse). Prints `ready`, then `take <group>-<bucket>
 * <attempt>` for each shard it starts and `done <group>-<bucket>` when it ends; stops on SIGTERM.
 */
import { HistoricalShardWorker } from '../../../src/offline/distributed-historical/shard-join.ts';
import { fixtureConfig, fixtureRegistry } from './historical-fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string;
  prefix: string;
  holdMs: number;
  ttl?: string;
};
const registry = fixtureRegistry(args.dir, args.ttl);
const worker = new HistoricalShardWorker({
  config: fixtureConfig(args.dir, args.prefix),
  registry: async () => registry,
  log: (message, fields) => {
    if (message === 'joined training-dataset shard')
      process.stdout.write(`done ${String(fields.group)}-${String(fields.bucket)}\n`);
  },
  holdMs: args.holdMs,
  onShard: (shard, attempt) => process.stdout.write(`take ${shard.group}-${shard.bucket} ${attempt}\n`),
});
await worker.ready();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
