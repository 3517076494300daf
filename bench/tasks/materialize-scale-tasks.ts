/**
 * Work measured by the materialize.scale scenario, run in child processes (see measure.ts): a
 * distributed materialization of the bench's offline rows with N shard worker processes taking the
 * shards. Workers are started and ready before the timing starts; the timing covers the run from
 * the coordinator's locks to its watermark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { materialize } from '../../src/materialize/materialize.ts';
import { OnlineStore } from '../../src/online/online-store.ts';
import { benchRegistry, materializeBenchConfig, type WriteRun } from './materialize-tasks.ts';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'shard-worker-process.ts');

function startWorker(dir: string, keyPrefix: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify({ dir, keyPrefix })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`shard worker exited with ${code}`)));
  });
  return { child, ready };
}

/** A distributed run with `workers` shard workers and `slices` entity slices per day. */
export async function distributedMaterialize(args: {
  dir: string;
  workers: number;
  slices: number;
}): Promise<WriteRun> {
  const keyPrefix = `trove-bench-${randomUUID().slice(0, 8)}`;
  const config = materializeBenchConfig(args.dir, keyPrefix);
  const store = new OnlineStore(config.onlineStore, config.project);
  const workers = Array.from({ length: args.workers }, () => startWorker(args.dir, keyPrefix));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const started = performance.now();
    const [stats] = await materialize(
      {
        config,
        registry: benchRegistry(args.dir),
        online: store,
        log: () => {},
        distributed: { slices: args.slices },
      },
      { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') },
    );
    const seconds = (performance.now() - started) / 1000;
    return { rows: stats?.rows ?? 0, seconds };
  } finally {
    await Promise.all(
      workers.map(async ({ child }) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    await store.teardown();
    await store.close();
  }
}
