/**
 * The primary process of `trove serve --workers N` (node:cluster): it forks N workers that each run
 * the whole API on the same port (the primary hands connections out in turn), gathers their
 * metrics for `/metrics` (cluster-metrics.ts), starts again a worker that dies while serving, and
 * on SIGTERM or SIGINT lets every worker finish its requests and exits once they all have.
 *
 * Nothing else is shared between workers, on purpose: each opens its own connections, reads the
 * registry itself (and reloads it when it changes), and answers on its own; state that must agree
 * across workers lives in Redis, as it must across machines.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { answerClusterMetrics } from './cluster-metrics.ts';

/** Pause before starting again a worker that died, so a crash loop does not spin. */
const RESTART_PAUSE_MS = 1000;

/** Forks `count` workers and resolves to the exit code once they have all stopped. */
export function runServeWorkers(count: number, log: Logger): Promise<number> {
  answerClusterMetrics();
  const listening = new Set<Worker>();
  // cluster.workers still lists a worker when its 'exit' comes (until it has also disconnected).
  const alive = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;
  const fork = (): void => {
    const worker = cluster.fork({ TROVE_SERVE_WORKER: '1' });
    alive.add(worker);
    worker.on('listening', () => {
      listening.add(worker);
      if (listening.size === count) log.info({ workers: count }, 'all workers serve');
    });
  };
  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const served = listening.delete(worker);
      alive.delete(worker);
      if (stopping) {
        if (alive.size === 0) resolve(exitCode);
        return;
      }
      // A worker that never served fails the same way when started again (a port taken, a bad
      // repo): stop everything and say why, rather than loop.
      if (!served) {
        log.error({ pid: worker.process.pid, code, signal }, 'a worker stopped before serving; stopping');
        exitCode = 1;
        stop();
        if (alive.size === 0) resolve(exitCode);
        return;
      }
      log.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, RESTART_PAUSE_MS).unref();
    });
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const worker of alive) worker.process.kill('SIGTERM');
    };
    process.once('SIGTERM', () => {
      log.info({ signal: 'SIGTERM' }, 'shutting down the workers');
      stop();
    });
    process.once('SIGINT', () => {
      log.info({ signal: 'SIGINT' }, 'shutting down the workers');
      stop();
    });
    for (let i = 0; i < count; i++) fork();
  });
}
