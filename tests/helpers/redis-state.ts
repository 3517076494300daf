import type { Redis } from 'ioredis';

/**
 * Every key under `prefix` with its DUMP (base64): two equal results mean Redis holds exactly the
 * same keys and values.
 */
export async function redisState(redis: Redis, prefix: string): Promise<Record<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  const out: Record<string, string> = {};
  for (const key of keys.sort()) out[key] = (await redis.dumpBuffer(key))?.toString('base64') ?? '';
  return out;
}
