/**
 * A command run as its own process for a drill to kill, stop or wait for, with everything it
 * printed kept. `trove(...)` runs the real `trove` command, as a user or a scheduler would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  cwd?: string;
  /** Extra environment on top of the drill's own. */
  env?: NodeJS.ProcessEnv;
}

export class SpawnedProcess {
  /** stdout and stderr, interleaved as they arrived. */
  output = '';
  readonly exited: Promise<Exit>;
  readonly startedAt = performance.now();
  private exit: Exit | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    const keep = (d: Buffer) => {
      this.output += d.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static start(command: string, args: readonly string[], options: SpawnOptions = {}): SpawnedProcess {
    return new SpawnedProcess(
      spawn(command, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /** `node --import tsx <script> ...args`, for TypeScript entry points. */
  static node(script: string, args: readonly string[], options: SpawnOptions = {}): SpawnedProcess {
    return SpawnedProcess.start(process.execPath, ['--import', 'tsx', script, ...args], options);
  }

  /** The `trove` command with these arguments. */
  static trove(args: readonly string[], options: SpawnOptions = {}): SpawnedProcess {
    return SpawnedProcess.start(process.execPath, [BIN, ...args], options);
  }

  get pid(): number {
    if (!this.child.pid) throw new Error('the process has no pid');
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<Exit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Waits for the exit, killing the process if it takes longer than `timeoutMs`. */
  async finish(timeoutMs: number): Promise<Exit> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
