/** Shared pieces of the benchmarks that use Redis: where it is, a store under a fresh key prefix. */
import { randomUUID } from 'node:crypto';
import { troveConfigSchema } from '../src/config/trove-config.ts';
import { OnlineStore } from '../src/online/online-store.ts';

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
