/**
 * A lock in Redis for work processes on different machines may do: a key set with `SET NX PX` to a
 * random token, renewed while held, and released by a script that deletes it only if it still
 * holds the holder's token, so a holder whose lease lapsed never frees a lock another process took
 * since. A holder that dies stops renewing and its lease lapses after `ttlMs`.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { QueueRedis } from './queue-connection.ts';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export const DEFAULT_LEASE_TTL_MS = 30_000;

export interface LeaseOptions {
  ttlMs?: number;
  /** Wait this long for a held lock (polling with growing pauses) before giving up; 0 by default. */
  waitMs?: number;
  /** The error for a lock another holder has: told who holds it (the value it stored). */
  busy(holder: string | null): Error;
  /** The error for a lease found lost at renewal. */
  lost(): Error;
}

export class RedisLease {
  /** The lease's value: a random token naming host and pid for messages. */
  readonly value: string;
  private timer: NodeJS.Timeout | undefined;
  private lostError: Error | undefined;

  private constructor(
    private readonly client: QueueRedis,
    readonly key: string,
    private readonly ttlMs: number,
    private readonly onLost: () => Error,
  ) {
    this.value = JSON.stringify({ token: randomUUID(), host: os.hostname(), pid: process.pid });
  }

  /** Takes the lock at `key`, or throws `busy` once it is still held after `waitMs`. */
  static async acquire(client: QueueRedis, key: string, options: LeaseOptions): Promise<RedisLease> {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    const lease = new RedisLease(client, key, ttlMs, options.lost);
    const until = Date.now() + (options.waitMs ?? 0);
    let pause = 50;
    for (;;) {
      if ((await client.set(key, lease.value, 'PX', ttlMs, 'NX')) === 'OK') break;
      if (Date.now() >= until) throw options.busy(await client.get(key));
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, until - Date.now()))));
      pause = Math.min(pause * 2, 1000);
    }
    lease.timer = setInterval(() => void lease.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    lease.timer.unref();
    return lease;
  }

  private async renew(): Promise<void> {
    try {
      if (Number(await this.client.eval(RENEW_LUA, 1, this.key, this.value, this.ttlMs)) !== 1)
        this.lostError ??= this.onLost();
    } catch {
      // A failed renewal is not yet a lost lease: the next one may reach Redis in time.
    }
  }

  /** Throws once the lease was found lost (lapsed and taken, or removed): stop before committing. */
  check(): void {
    if (this.lostError) throw this.lostError;
  }

  /**
   * Renews now and throws unless that renewal found the lease held: for the moment before a commit,
   * when a Redis that cannot be reached proves nothing either.
   */
  async confirm(): Promise<void> {
    this.check();
    if (Number(await this.client.eval(RENEW_LUA, 1, this.key, this.value, this.ttlMs)) !== 1) {
      this.lostError ??= this.onLost();
      throw this.lostError;
    }
  }

  /** Releases the lock if this lease still holds it; a lapsed one is left to its new holder. */
  async release(): Promise<boolean> {
    clearInterval(this.timer);
    try {
      return Number(await this.client.eval(RELEASE_LUA, 1, this.key, this.value)) === 1;
    } catch {
      // Redis unreachable: the lease lapses on its own.
      return false;
    }
  }
}
