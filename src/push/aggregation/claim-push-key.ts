/**
 * Remembers which rows an idempotency key named, for pushes that only go online: offline, the
 * push file recognises a reused key, but an online-only push leaves no file. Without this, a key
 * reused for other rows would overwrite the first push's layer tile by tile, leaving a mix of both.
 * Kept as long as the state the push wrote can live.
 */
import type { OnlineStore } from '../../online/online-store.ts';
import { redisFailure } from '../../online/redis-client.ts';

const CLAIM_LUA = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Claims `key` for rows with hash `rowsHash`; false when it was claimed for other rows. */
export async function claimPushKey(
  store: OnlineStore,
  key: string,
  rowsHash: string,
  lifetimeSeconds: number,
): Promise<boolean> {
  try {
    const claimed = await store.client.eval(
      CLAIM_LUA,
      1,
      store.keys.pushKey(key),
      rowsHash,
      lifetimeSeconds * 1000,
    );
    return Number(claimed) === 1;
  } catch (err) {
    throw redisFailure(err, store.target, 'claiming the idempotency key');
  }
}
