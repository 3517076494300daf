/**
 * A drill's own corner of the shared Redis: a key prefix nobody else uses, and the sweep that
 * removes everything under it when the drill ends, pass or fail.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** `drill-<name>-<random>`: unique per run, so runs and drills never see each other's keys. */
export function drillKeyPrefix(drillName: string): string {
  return `drill-${drillName}-${randomBytes(4).toString('hex')}`;
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** Removes every key under `prefix`; resolves to how many were removed. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  return keys.length;
}
