/**
 * Recovering from a Redis Cluster's slots moving (a failover, a resharding). The cluster client
 * follows a redirection by itself only when every command of an auto-pipelined group got the same
 * one; a read or write spanning several slots of a node that changed hands gets a `MOVED` per slot,
 * which it hands back as errors without learning the new slot map, and every later request failed
 * the same way. Here such a failure refreshes the slot map and runs the request once more.
 */
import type { Cluster } from 'ioredis';

const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/** Whether a command failed because the cluster's slots are elsewhere or changing hands. */
export function isRedirect(err: unknown): boolean {
  return err instanceof Error && REDIRECTED.test(err.message);
}

const refreshing = new WeakMap<Cluster, Promise<void>>();

/** Reloads the cluster's slot map; callers at the same time share one reload. */
export function refreshSlots(client: Cluster): Promise<void> {
  let pending = refreshing.get(client);
  if (!pending) {
    pending = new Promise<void>((resolve) => {
      // A failed reload leaves the old map; the retry then fails with the cause, as it would have.
      client.refreshSlotsCache(() => resolve());
    }).finally(() => refreshing.delete(client));
    refreshing.set(client, pending);
  }
  return pending;
}

/** Runs `attempt`; when it fails on a redirection, reloads the slot map and runs it once more. */
export async function withSlotRefresh<T>(client: Cluster, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!isRedirect(err)) throw err;
    await refreshSlots(client);
    return attempt();
  }
}
