/**
 * `trove serve` as its own process, the way it runs in production, so drills can measure its memory,
 * kill what it depends on, and see exactly what a client sees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { processRssMb } from './process-rss.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');

export interface ApiServerOptions {
  repoDir: string;
  /** Extra environment (REDIS_URL, TROVE_REDIS_KEY_PREFIX, TROVE_API_KEYS, ...). */
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
}

export class ApiServerProcess {
  /** Everything the server logged (stdout and stderr), for checks such as "no key in the logs". */
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child.pid) throw new Error('the server process has no pid');
    return this.child.pid;
  }

  /** Whether the process is still the one started (it has not exited or been killed). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(options: ApiServerOptions): Promise<ApiServerProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--repo',
        options.repoDir,
        '--port',
        String(port),
        '--log-level',
        options.logLevel ?? 'info',
      ],
      { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new ApiServerProcess(child, port);
    child.stdout?.on('data', (d: Buffer) => {
      server.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      server.output += d.toString();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`trove serve exited with ${child.exitCode}: ${server.output}`);
      try {
        const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return server;
      } catch {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`trove serve did not answer on port ${port}: ${server.output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  rssMb(): Promise<number> {
    return processRssMb(this.pid);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
