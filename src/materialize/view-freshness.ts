/**
 * How fresh each online view is: the newest event time materialized or pushed into the online
 * store, and the materialization watermark (every offline row up to it has been written). Both
 * live in the view's watermark hash under its schema fingerprint, so one round trip (one per node
 * in a cluster) reads every view's pair, and a schema change shows the view as not yet materialized.
 */
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';
import type { Registry } from '../registry/registry.ts';
import { newestEventField } from './newest-event.ts';
import type { ViewIdentity } from './watermarks.ts';

/** One online view's freshness; null where nothing was written yet. */
export interface ViewFreshness {
  newestEventTime: Date | null;
  watermark: Date | null;
}

function instant(value: unknown): Date | null {
  return typeof value === 'string' ? new Date(Number(BigInt(value) / 1000n)) : null;
}

/** The freshness of every online stored view (batch and aggregation), by view name. */
export async function readViewFreshness(
  store: OnlineStore,
  registry: Registry,
): Promise<Record<string, ViewFreshness>> {
  const views = registry.storedViews().filter((v) => v.online);
  const codecs: ViewIdentity[] = views.map((v) =>
    v.kind === 'aggregation' ? store.aggregationCodec(registry, v.name) : store.codec(registry, v.name),
  );
  // One command per view, not a pipeline: views' hashes are in different slots, which a cluster
  // refuses in one pipeline; sent together, they still go in one round trip (one per node).
  let replies: (string | null)[][];
  try {
    replies = await Promise.all(
      codecs.map((codec) =>
        store.client.hmget(
          store.keys.watermarks(codec.view.name),
          newestEventField(codec),
          codec.fingerprint,
        ),
      ),
    );
  } catch (err) {
    throw redisFailure(err, store.target, 'reading the freshness of the feature views');
  }
  const out: Record<string, ViewFreshness> = {};
  codecs.forEach((codec, i) => {
    const [newest, watermark] = replies[i] ?? [null, null];
    out[codec.view.name] = { newestEventTime: instant(newest), watermark: instant(watermark) };
  });
  return out;
}
