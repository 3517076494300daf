/**
 * The lock of a view's distributed compute, in Redis (`<key base>:clock:{<view>}`): held by the
 * run's coordinator from planning to the commit, so no two distributed computes of a view, from
 * any machines, stage into it or swap it at once. A coordinator that dies stops renewing it, and
 * it lapses after `ttlMs` (30 s by default).
 */
import { ConflictError } from '../../errors.ts';
import type { QueueRedis } from '../../queue/queue-connection.ts';
import { RedisLease } from '../../queue/redis-lease.ts';

export function computeLockKey(keyBase: string, view: string): string {
  return `${keyBase}:clock:{${view}}`;
}

function holderText(value: string | null): string {
  try {
    const { host, pid } = JSON.parse(value ?? '') as { host?: unknown; pid?: unknown };
    if (typeof host === 'string' && typeof pid === 'number') return `process ${pid} on host ${host}`;
  } catch {
    // Not a value Trove wrote: the holder is unknown.
  }
  return 'another process';
}

/** Takes the compute lock of `view`, or throws ConflictError COMPUTE_RUNNING naming its holder. */
export function acquireComputeLease(
  client: QueueRedis,
  keyBase: string,
  view: string,
  options: { ttlMs?: number; waitMs?: number } = {},
): Promise<RedisLease> {
  return RedisLease.acquire(client, computeLockKey(keyBase, view), {
    ...options,
    busy: (holder) =>
      new ConflictError(
        'COMPUTE_RUNNING',
        `feature view ${view} is being computed by ${holderText(holder)} (its lock lapses ${Math.round((options.ttlMs ?? 30_000) / 1000)} s after its holder stops)`,
      ),
    lost: () =>
      new ConflictError('LOCK_LOST', `lost the compute lock of feature view ${view}; nothing was committed`),
  });
}
