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
  const latencies = new LatencyLog();
  const instance = autocannon({
    url: `http://127.0.0.1:${options.port}${options.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: options.seconds,
    ...(typeof body === 'string'
      ? { body }
      : { requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }] }),
  });
  instance.on('response', (_client, statusCode, _bytes, milliseconds) => {
    if (statusCode >= 200 && statusCode < 300) latencies.add(milliseconds);
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`port ${options.port}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p50: latencies.quantile(0.5), p99: latencies.quantile(0.99) };
}

/**
 * Every answer's latency in fractional milliseconds. autocannon's own histogram keeps whole
 * milliseconds, too coarse on loopback, where a 1-entity answer takes well under one.
 */
class LatencyLog {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(milliseconds: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = milliseconds;
  }

  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.floor(q * this.count))]!;
  }
}

export function medianOf(runs: readonly LoadRun[], key: keyof LoadRun): number {
  return median(runs.map((r) => r[key]));
}
