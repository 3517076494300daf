/**
 * How an HTTP benchmark runs its two servers (Trove's and the bare route) in a child process, so
 * the load generator does not share their event loop: the child prints `{"trove": port, "bare":
 * port}` on its first line and serves until SIGTERM, then cleans up and exits.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { portOf } from './http-bench-store.ts';

export interface ServerChild {
  trove: number;
  bare: number;
  /** Stops the child and waits until it has removed its data. */
  stop(): Promise<void>;
}

/** Parent side: starts `script` (with `env` added to its environment) and waits for its ports. */
export async function startServerChild(
  script: string,
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const first = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`benchmark servers exited with ${code}`))),
  ]);
  const ports = JSON.parse(first) as { trove: number; bare: number };
  return {
    ...ports,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Child side: announces both servers' ports; on SIGTERM closes them, runs `cleanup` and exits. */
export function serveUntilTerminated(
  trove: FastifyInstance,
  bare: FastifyInstance,
  cleanup: () => Promise<void>,
): void {
  process.once('SIGTERM', () => {
    void (async () => {
      await trove.close();
      await bare.close();
      await cleanup();
      process.exit(0);
    })();
  });
  process.stdout.write(`${JSON.stringify({ trove: portOf(trove), bare: portOf(bare) })}\n`);
}
