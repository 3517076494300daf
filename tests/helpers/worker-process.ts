import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Worker child processes for the distributed suites (materialize, compute and training-dataset
 * shards): each is a TypeScript script given one JSON argument that prints `ready` once it takes
 * jobs. The set tracks the live ones so a suite can kill whatever a failed test left running.
 */
export interface WorkerProcess {
  child: ChildProcess;
  /** Every line the worker printed, in order. */
  lines: string[];
  /** Settles when the worker prints `ready`; rejects if it exits first. */
  ready: Promise<void>;
}

export class WorkerProcesses {
  private readonly live = new Set<ChildProcess>();

  constructor(private readonly script: string) {}

  start(argument: unknown): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', this.script, JSON.stringify(argument)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.live.add(child);
    child.on('exit', () => this.live.delete(child));
    const lines: string[] = [];
    let buffered = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          if (line === 'ready') resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    });
    return { child, lines, ready };
  }

  /** Asks a worker to finish its shard and exit (SIGTERM), and waits until it has. */
  async stop(worker: WorkerProcess): Promise<void> {
    const { child } = worker;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** Kills every worker still running (after a failed test). */
  killAll(): void {
    for (const child of this.live) child.kill('SIGKILL');
  }
}
