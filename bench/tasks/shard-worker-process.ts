/**
 * A shard worker for the materialize.scale bench: `node --import tsx shard-worker-process.ts
 * '<json>'` with { dir, keyPrefix }. Prints `ready` once it listens; stops on SIGTERM.
 */
import { MaterializeShards } from '../../src/materialize/distributed/materialize-shard-handler.ts';
import { OnlineStore } from '../../src/online/online-store.ts';
import { ShardWorker } from '../../src/queue/shard-worker.ts';
import { benchRegistry, materializeBenchConfig } from './materialize-tasks.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { dir: string; keyPrefix: string };
const config = materializeBenchConfig(args.dir, args.keyPrefix);
const store = new OnlineStore(config.onlineStore, config.project);
const registry = benchRegistry(args.dir);
const worker = new ShardWorker({
  redis: config.onlineStore,
  keyBase: store.keys.base,
  handlers: [new MaterializeShards({ config, online: store, registry: async () => registry })],
  log: () => {},
});
await worker.ready();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(async () => {
    await store.close();
    process.exit(0);
  });
});
