/**
 * Shared pieces of the online benchmarks: a scenario is `{ name, run() }` returning metrics and
 * whether its target held; each scenario file also runs on its own (`node --import tsx FILE`).
 */
import { randomUUID } from 'node:crypto';
import { troveConfigSchema } from '../src/config/trove-config.ts';
import { OnlineStore } from '../src/online/online-store.ts';

export interface BenchResult {
  name: string;
  metrics: Record<string, number | string>;
  /** Whether the scenario's target was met. */
  pass: boolean;
}

export interface BenchScenario {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function benchStore(project: string): OnlineStore {
  const config = troveConfigSchema.parse({
    project,
    onlineStore: {
      redis: REDIS_URL,
      keyPrefix: `trove-bench-${randomUUID().slice(0, 8)}`,
      commandTimeoutMs: 30_000,
    },
  });
  return new OnlineStore(config.onlineStore, project);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs a scenario when its file is the process entry point, printing its result as JSON. */
export async function runIfMain(url: string, scenario: BenchScenario): Promise<void> {
  if (process.argv[1] && url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
    const result = await scenario.run();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}
