/**
 * A shard worker in its own process, for the distributed tests: `node --import tsx
 * shard-worker-child.ts '<json>'` with { dir, prefix, holdMs }. Prints `ready`, then `take <view>
 * <day> <index> <attempt>` for each shard it starts and `done <index>` when it ends; stops on SIGTERM.
 */
import { MaterializeShards } from '../../../src/materialize/distributed/materialize-shard-handler.ts';
import { ShardWorker } from '../../../src/queue/shard-worker.ts';
import { onlineConfig, openStore } from '../../online/online-fixture.ts';
import { killRegistry } from '../kill-fixture.ts';
import { makeConfig } from '../offline-fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { dir: string; prefix: string; holdMs: number };
const store = openStore(args.prefix);
const config = {
  ...makeConfig(args.dir, args.prefix, { batchSize: 20_000 }),
  onlineStore: onlineConfig(args.prefix),
};
const worker = new ShardWorker({
  redis: config.onlineStore,
  keyBase: store.keys.base,
  handlers: [new MaterializeShards({ config, online: store, registry: async () => killRegistry })],
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
  void worker.close().then(async () => {
    await store.close();
    process.exit(0);
  });
});
