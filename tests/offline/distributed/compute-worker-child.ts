/**
 * A shard worker in its own process, for the distributed compute tests: `node --import tsx
 * compute-worker-child.ts '<json>'` with { dir, prefix, holdMs }. Prints `ready`, then `take <view>
 * <day> <index> <attempt>` for each shard it starts and `done <index>` when it ends; stops on SIGTERM.
 */
import { ComputeShards } from '../../../src/offline/distributed/compute-shard-handler.ts';
import { projectKeyBase } from '../../../src/queue/project-key-base.ts';
import { ShardWorker } from '../../../src/queue/shard-worker.ts';
import { computeConfig, computeRegistry } from './compute-fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { dir: string; prefix: string; holdMs: number };
const config = computeConfig(args.dir, args.prefix);
const registry = computeRegistry(args.dir);
const worker = new ShardWorker({
  redis: config.onlineStore,
  keyBase: projectKeyBase(config.onlineStore.keyPrefix, config.project),
  handlers: [new ComputeShards({ config, registry: async () => registry })],
  log: (message, fields) => {
    if (message === 'finished shard') process.stdout.write(`done ${String(fields.shard)}\n`);
  },
  holdMs: args.holdMs,
  onShard: (shard, attempt) =>
    process.stdout.write(`take ${shard.view} ${shard.day} ${shard.index + 1}/${shard.count} ${attempt}\n`),
});
await worker.ready();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
