/**
 * Work measured by the historical.distributed scenario, run in child processes (see measure.ts):
 * the single-process training dataset of offline.pit's data, and the same dataset through the
 * shard queue with N worker processes (bench/tasks/historical-shard-worker-process.ts), started
 * and listening before the timing. Each returns its time and the sha256 of its output, so the
 * scenario checks that every run wrote the same bytes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { troveConfigSchema } from '../../src/config/trove-config.ts';
import {
  type DistributedHistoricalConfig,
  writeDistributedHistoricalFile,
} from '../../src/offline/distributed-historical/historical-job-coordinator.ts';
import { writeHistoricalFile } from '../../src/offline/historical-output.ts';
import { OnlineStore } from '../../src/online/online-store.ts';
import { REDIS_URL } from '../online-bench-common.ts';
import { benchConfig, benchRegistry, FEATURES } from './offline-pit-tasks.ts';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'historical-shard-worker-process.ts');
const PROJECT = 'bench';

/** What a run reports: the seconds of the dataset's writing and its output's sha256. */
export interface DatasetRun {
  rows: number;
  seconds: number;
  /** CPU time of every process of the run (coordinator and workers, all threads) over the writing. */
  cpuSeconds: number;
  sha256: string;
}

function cpuSince(cpu0: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1e6;
}

export function distributedBenchConfig(dir: string, keyPrefix: string): DistributedHistoricalConfig {
  return {
    ...benchConfig(dir),
    project: PROJECT,
    onlineStore: {
      ...troveConfigSchema.parse({ project: PROJECT }).onlineStore,
      redis: REDIS_URL,
      keyPrefix,
    },
  };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The single-process dataset (`trove historical` without --distributed, less the manifest). */
export async function singleDataset(args: {
  dir: string;
  entities: string;
  out: string;
}): Promise<DatasetRun> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const file = await writeHistoricalFile(
    benchConfig(args.dir),
    benchRegistry(args.dir),
    { entities: args.entities, features: FEATURES },
    args.out,
  );
  const seconds = (performance.now() - started) / 1000;
  return { rows: file.rows, seconds, cpuSeconds: cpuSince(cpu0), sha256: await sha256Of(file.path) };
}

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  /** Its CPU time in ms from listening to its stop, once stopped. */
  cpuMs: Promise<number>;
}

function startWorker(dir: string, keyPrefix: string): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify({ dir, keyPrefix })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (out.includes('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`shard worker exited with ${code}`)));
  });
  const cpuMs = new Promise<number>((resolve) =>
    child.on('exit', () => resolve(Number(/^cpu ([\d.]+)$/m.exec(out)?.[1] ?? Number.NaN))),
  );
  return { child, ready, cpuMs };
}

async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

/** The same dataset through the queue, split into `shards` buckets, joined by `workers` processes. */
export async function distributedDataset(args: {
  dir: string;
  entities: string;
  out: string;
  workers: number;
  /** Buckets; the library's default (one per listening worker) when absent. */
  shards?: number;
}): Promise<DatasetRun> {
  const keyPrefix = `trove-bench-${randomUUID().slice(0, 8)}`;
  const config = distributedBenchConfig(args.dir, keyPrefix);
  const store = new OnlineStore(config.onlineStore, config.project);
  const workers = Array.from({ length: args.workers }, () => startWorker(args.dir, keyPrefix));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const file = await writeDistributedHistoricalFile(
      config,
      benchRegistry(args.dir),
      { entities: args.entities, features: FEATURES },
      args.out,
      args.shards === undefined ? {} : { shards: args.shards },
    );
    const seconds = (performance.now() - started) / 1000;
    const coordinatorCpu = cpuSince(cpu0);
    await stopWorkers(workers);
    const workerCpu = (await Promise.all(workers.map((w) => w.cpuMs))).reduce((a, b) => a + b, 0) / 1000;
    return {
      rows: file.rows,
      seconds,
      cpuSeconds: coordinatorCpu + workerCpu,
      sha256: await sha256Of(file.path),
    };
  } finally {
    await stopWorkers(workers);
    await store.teardown();
    await store.close();
  }
}
