/**
 * One timed autocannon run against a loopback server, as the HTTP benchmarks measure both their
 * target and their baseline: a fixed number of connections, a fixed duration, and any non-2xx
 * answer or error failing the run (a fast error is not a result).
 */
import autocannon from 'autocannon';
import { median } from './measure.ts';

export const CONNECTIONS = 16;

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
}

export interface LoadOptions {
  port: number;
  path: string;
  seconds: number;
  /** The same body for every request, or a new one for each. */
  body: string | (() => string);
}

export async function load(options: LoadOptions): Promise<LoadRun> {
  const { body } = options;
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}${options.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: options.seconds,
    ...(typeof body === 'string'
      ? { body }
      : { requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }] }),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`port ${options.port}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

export function medianOf(runs: readonly LoadRun[], key: keyof LoadRun): number {
  return median(runs.map((r) => r[key]));
}
