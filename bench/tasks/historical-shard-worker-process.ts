/**
 * A training-dataset shard worker for the historical.distributed bench: `node --import tsx
 * historical-shard-worker-process.ts '<json>'` with { dir, keyPrefix }. Prints `ready` once it
 * listens; stops on SIGTERM.
 */
import { HistoricalShardWorker } from '../../src/offline/distributed-historical/shard-join.ts';
import { distributedBenchConfig } from './historical-distributed-tasks.ts';
import { benchRegistry } from './offline-pit-tasks.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { dir: string; keyPrefix: string };
const registry = benchRegistry(args.dir);
const worker = new HistoricalShardWorker({
  config: distributedBenchConfig(args.dir, args.keyPrefix),
  registry: async () => registry,
  log: () => {},
});
await worker.ready();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
