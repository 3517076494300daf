/**
 * A training-dataset shard worker for the historical.distributed bench: `node --import tsx
 * historical-shard-worker-process.ts '<json>'` with { dir, keyPrefix }. Prints `ready` once it
 * listens; on SIGTERM prints `cpu <ms>`, its CPU time since, and stops.
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
const cpu0 = process.cpuUsage();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  // CPU time (all threads) spent since listening: the shards' share of the run's CPU.
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`cpu ${(cpu.user + cpu.system) / 1000}\n`);
  void worker.close().then(() => process.exit(0));
});
