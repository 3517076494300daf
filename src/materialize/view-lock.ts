/**
 * A lock per feature view, so two materializers never work the same view at once. It is a Redis key
 * whose value names its holder (a random token, host, pid and start time; see lock-holder.ts) with
 * an expiry, renewed while the holder works. A holder killed on this host is taken over at once; one
 * elsewhere, or of unknown host, lapses after `ttlMs`. Renewal, release and takeover only act on the
 * exact value they expect, in one script each, so no two processes ever both hold a view.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.ts';
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';
import {
  describeHolder,
  formatLockHolder,
  holderDead,
  type LockHolder,
  newLockHolder,
  onThisHost,
  parseLockHolder,
} from './lock-holder.ts';
import type { MaterializeLog } from './progress.ts';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
/** Replaces the value a dead holder left, only if it is still exactly that value. */
const TAKEOVER_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;

export const DEFAULT_LOCK_TTL_MS = 30_000;

/** Pauses between looks at a lock being waited for: short at first, at most a second. */
const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1000;

/** Waiting for a lock a live process holds, instead of failing at once. */
export interface LockWait {
  /** When the wait began (epoch ms), for the message when it runs out. */
  since: number;
  /** When to give up (epoch ms); Infinity waits as long as it takes. */
  until: number;
  /** Ends the wait early; the acquisition then fails as if it had not waited. */
  signal?: AbortSignal;
}

export interface AcquireOptions {
  ttlMs?: number;
  /** Without it, a lock a live process holds fails the acquisition at once. */
  wait?: LockWait;
  /** Where a takeover or a wait is told. */
  log?: MaterializeLog;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

function inProgress(
  viewName: string,
  holder: LockHolder | undefined,
  ttlMs: number,
  waitedMs?: number,
): ConflictError {
  const who = describeHolder(holder);
  const base = `feature view ${viewName} is being materialized by another process${who ? ` (${who})` : ''}`;
  if (waitedMs !== undefined)
    return new ConflictError(
      'MATERIALIZATION_IN_PROGRESS',
      `${base}; still held after waiting ${(waitedMs / 1000).toFixed(1)} s`,
    );
  // A live holder on this host is not going to lapse; one elsewhere or unknown may have died.
  const lapse =
    holder && onThisHost(holder)
      ? ''
      : ` (its lock lapses ${Math.round(ttlMs / 1000)} s after its holder stops)`;
  return new ConflictError('MATERIALIZATION_IN_PROGRESS', `${base}; try again when it is done${lapse}`);
}

export class ViewLock {
  readonly key: string;
  readonly holder: LockHolder;
  /** The lock key's value while held: what renewal, release and the watermark script check. */
  readonly value: string;
  private timer: NodeJS.Timeout | undefined;
  /** Set when a renewal found the lock taken or gone; the holder must stop writing. */
  lost: Error | undefined;

  private constructor(
    private readonly store: OnlineStore,
    readonly viewName: string,
    private readonly ttlMs: number,
  ) {
    this.key = store.keys.lock(viewName);
    this.holder = newLockHolder(randomUUID());
    this.value = formatLockHolder(this.holder);
  }

  /**
   * Takes the lock of a view. A lock whose holder died on this host is taken over at once; one a
   * live or unknown holder has is waited for with `wait`, and otherwise throws ConflictError.
   */
  static async acquire(
    store: OnlineStore,
    viewName: string,
    options: AcquireOptions = {},
  ): Promise<ViewLock> {
    const ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    const { wait, log } = options;
    const lock = new ViewLock(store, viewName, ttlMs);
    let nextPause = FIRST_PAUSE_MS;
    let waiting = false;
    for (;;) {
      const seen = await lock.tryTake();
      if (seen === undefined) break;
      // Gone between the SET and the GET: try again at once.
      if (seen === null) continue;
      const holder = parseLockHolder(seen);
      if (holder && holderDead(holder)) {
        if (await lock.takeOver(seen)) {
          log?.('took over the lock of a materialization that died', {
            view: viewName,
            host: holder.host,
            pid: holder.pid,
            started: holder.started,
          });
          break;
        }
        // Another run took it over, or its holder let go, since the GET: look again.
        continue;
      }
      const now = Date.now();
      if (!wait) throw inProgress(viewName, holder, ttlMs);
      if (now >= wait.until || wait.signal?.aborted)
        throw inProgress(viewName, holder, ttlMs, now - wait.since);
      if (!waiting) {
        waiting = true;
        log?.('waiting for a view another process is materializing', {
          view: viewName,
          ...(holder ? { host: holder.host, pid: holder.pid, started: holder.started } : {}),
        });
      }
      await pause(Math.min(nextPause * (0.75 + Math.random() / 2), wait.until - now), wait.signal);
      nextPause = Math.min(nextPause * 2, LONGEST_PAUSE_MS);
    }
    lock.timer = setInterval(() => void lock.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    lock.timer.unref();
    return lock;
  }

  /** Sets the lock if free: undefined when taken, else the value found (null if it just went). */
  private async tryTake(): Promise<string | null | undefined> {
    try {
      // A plain SET NX, not a script: tools replaying Redis's command stream read it as a lock.
      if ((await this.store.client.set(this.key, this.value, 'PX', this.ttlMs, 'NX')) === 'OK')
        return undefined;
      return await this.store.client.get(this.key);
    } catch (err) {
      throw redisFailure(err, this.store.target, `locking view ${this.viewName}`);
    }
  }

  private async takeOver(seen: string): Promise<boolean> {
    try {
      return (
        Number(await this.store.client.eval(TAKEOVER_LUA, 1, this.key, seen, this.value, this.ttlMs)) === 1
      );
    } catch (err) {
      throw redisFailure(err, this.store.target, `taking over the lock of view ${this.viewName}`);
    }
  }

  private async renew(): Promise<void> {
    try {
      const n = await this.store.client.eval(RENEW_LUA, 1, this.key, this.value, this.ttlMs);
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
      await this.store.client.eval(RELEASE_LUA, 1, this.key, this.value);
    } catch {
      // Redis unreachable: the lock expires on its own.
    }
  }
}
