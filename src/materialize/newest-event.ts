/**
 * The newest event time written to the online store per view, for freshness (now minus newest
 * event). Kept in the view's watermark hash under `<fingerprint>:newest`, so it goes with the
 * schema like the watermark does; it only moves forward (compared in the same script).
 */
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';
import type { Registry } from '../registry/registry.ts';
import type { ViewIdentity } from './watermarks.ts';

const MAX_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** The field of the watermark hash that holds a view's newest online event time. */
export function newestEventField(codec: ViewIdentity): string {
  return `${codec.fingerprint}:newest`;
}

/** Records `micros` as the view's newest online event time if it is later than the one stored. */
export async function recordNewestEvent(
  store: OnlineStore,
  codec: ViewIdentity,
  micros: bigint,
): Promise<void> {
  try {
    await store.client.eval(
      MAX_LUA,
      1,
      store.keys.watermarks(codec.view.name),
      newestEventField(codec),
      micros.toString(),
    );
  } catch (err) {
    throw redisFailure(err, store.target, `recording the newest event time of view ${codec.view.name}`);
  }
}

/** The newest online event time of every online view (null when nothing was written yet). */
export async function readNewestEvents(
  store: OnlineStore,
  registry: Registry,
): Promise<Record<string, Date | null>> {
  const views = registry.storedViews().filter((v) => v.online);
  const codecs: ViewIdentity[] = views.map((v) =>
    v.kind === 'aggregation' ? store.aggregationCodec(registry, v.name) : store.codec(registry, v.name),
  );
  // One command per view, not a pipeline: views' hashes are in different slots, which a cluster
  // refuses in one pipeline; sent together, they still go in one round trip (one per node).
  let replies: (string | null)[];
  try {
    replies = await Promise.all(
      codecs.map((codec) =>
        store.client.hget(store.keys.watermarks(codec.view.name), newestEventField(codec)),
      ),
    );
  } catch (err) {
    throw redisFailure(err, store.target, 'reading the newest event times');
  }
  const out: Record<string, Date | null> = {};
  codecs.forEach((codec, i) => {
    const value = replies[i];
    out[codec.view.name] = typeof value === 'string' ? new Date(Number(BigInt(value) / 1000n)) : null;
  });
  return out;
}
