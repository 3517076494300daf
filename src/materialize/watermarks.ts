/**
 * Per-view materialization watermarks, kept in Redis beside the view's lock. A watermark is the
 * event time (µs) up to which every offline row has been written; it is keyed by the view's schema
 * fingerprint, so a schema change starts the view over. It only moves forward, and only while the
 * mover holds the view's lock (checked in the same script).
 */
import { ConflictError } from '../errors.ts';
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';
import type { ViewLock } from './view-lock.ts';

/** What names a view's watermarks: its name and the fingerprint of its online schema. */
export interface ViewIdentity {
  readonly view: { readonly name: string };
  readonly fingerprint: string;
}

const ADVANCE_LUA = `#!lua flags=allow-cross-slot-keys
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if cur and tonumber(cur) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

export async function readWatermark(store: OnlineStore, codec: ViewIdentity): Promise<bigint | undefined> {
  try {
    const v = await store.client.hget(store.keys.watermarks(codec.view.name), codec.fingerprint);
    return v === null ? undefined : BigInt(v);
  } catch (err) {
    throw redisFailure(err, store.target, `reading the watermark of view ${codec.view.name}`);
  }
}

/** Moves the watermark of a view to `micros` if that is later; requires holding `lock`. */
export async function advanceWatermark(
  store: OnlineStore,
  codec: ViewIdentity,
  lock: ViewLock,
  micros: bigint,
): Promise<void> {
  let result: unknown;
  try {
    result = await store.client.eval(
      ADVANCE_LUA,
      2,
      lock.key,
      store.keys.watermarks(codec.view.name),
      lock.value,
      codec.fingerprint,
      micros.toString(),
    );
  } catch (err) {
    throw redisFailure(err, store.target, `moving the watermark of view ${codec.view.name}`);
  }
  if (Number(result) === -1)
    throw new ConflictError(
      'LOCK_LOST',
      `lost the materialization lock of view ${codec.view.name}; watermark not moved`,
    );
}
