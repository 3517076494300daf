/**
 * A lock per feature view, so two materializers never work the same view at once. It is a Redis key
 * with a random token and an expiry, renewed while the holder works; if the holder dies the lock
 * lapses after `ttlMs`. Renewal and release only act when the token still matches.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.ts';
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export const DEFAULT_LOCK_TTL_MS = 30_000;

export class ViewLock {
  readonly key: string;
  readonly token = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  /** Set when a renewal found the lock taken or gone; the holder must stop writing. */
  lost: Error | undefined;

  private constructor(
    private readonly store: OnlineStore,
    readonly viewName: string,
    private readonly ttlMs: number,
  ) {
    this.key = store.keys.lock(viewName);
  }

  /** Takes the lock of a view, or throws ConflictError when another materializer holds it. */
  static async acquire(store: OnlineStore, viewName: string, ttlMs = DEFAULT_LOCK_TTL_MS): Promise<ViewLock> {
    const lock = new ViewLock(store, viewName, ttlMs);
    let ok: string | null;
    try {
      ok = await store.client.set(lock.key, lock.token, 'PX', ttlMs, 'NX');
    } catch (err) {
      throw redisFailure(err, store.target, `locking view ${viewName}`);
    }
    if (ok !== 'OK') {
      throw new ConflictError(
        'MATERIALIZATION_IN_PROGRESS',
        `feature view ${viewName} is being materialized by another process; try again when it is done (the lock lapses ${Math.round(ttlMs / 1000)} s after its holder stops)`,
      );
    }
    lock.timer = setInterval(() => void lock.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<void> {
    try {
      const n = await this.store.client.eval(RENEW_LUA, 1, this.key, this.token, this.ttlMs);
      if (Number(n) !== 1)
        this.lost = new ConflictError('LOCK_LOST', `lost the materialization lock of view ${this.viewName}`);
    } catch {
      // A failed renewal is not yet a lost lock: the next write fails on its own if Redis is gone.
    }
  }

  /** Throws if the lock was lost, so no more rows are written under it. */
  check(): void {
    if (this.lost) throw this.lost;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.store.client.eval(RELEASE_LUA, 1, this.key, this.token);
    } catch {
      // Redis unreachable: the lock expires on its own.
    }
  }
}
