/**
 * The last consistency check of each view, kept in Redis so `/metrics` of every server shows it
 * (`trove_consistency_mismatch_ratio`): a field `<fingerprint>:consistency` of the view's watermark
 * hash, beside its newest event time, so it goes with the view's schema (a changed view has no
 * result until it is checked again) and `teardown` removes it with the rest of the project.
 */
import type { Registry } from '../../registry/registry.ts';
import type { OnlineStore } from '../online-store.ts';
import { redisFailure } from '../redis-client.ts';

/** What a check of one view found, as recorded. */
export interface ConsistencyResult {
  /** Share of the sampled entities with at least one value that disagrees (0 when none sampled). */
  mismatchRatio: number;
  sampled: number;
  mismatched: number;
  /** The instant both sides were read at (ISO 8601). */
  at: string;
  /** When the check ran (ISO 8601). */
  checkedAt: string;
}

function fingerprintOf(store: OnlineStore, registry: Registry, view: string): string {
  const v = registry.featureView(view);
  return v?.kind === 'aggregation'
    ? store.aggregationCodec(registry, view).fingerprint
    : store.codec(registry, view).fingerprint;
}

function fieldOf(fingerprint: string): string {
  return `${fingerprint}:consistency`;
}

export async function recordConsistency(
  store: OnlineStore,
  registry: Registry,
  view: string,
  result: ConsistencyResult,
): Promise<void> {
  try {
    await store.client.hset(
      store.keys.watermarks(view),
      fieldOf(fingerprintOf(store, registry, view)),
      JSON.stringify(result),
    );
  } catch (err) {
    throw redisFailure(err, store.target, `recording the consistency check of view ${view}`);
  }
}

/** The last recorded check of every online batch or aggregation view that has one. */
export async function readConsistency(
  store: OnlineStore,
  registry: Registry,
): Promise<Record<string, ConsistencyResult>> {
  const views = registry.storedViews().filter((v) => v.online);
  const pipeline = store.client.pipeline();
  for (const v of views)
    pipeline.hget(store.keys.watermarks(v.name), fieldOf(fingerprintOf(store, registry, v.name)));
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (err) {
    throw redisFailure(err, store.target, 'reading the consistency checks');
  }
  const out: Record<string, ConsistencyResult> = {};
  views.forEach((v, i) => {
    const text = replies?.[i]?.[1];
    if (typeof text !== 'string') return;
    try {
      const parsed = JSON.parse(text) as ConsistencyResult;
      if (typeof parsed.mismatchRatio === 'number') out[v.name] = parsed;
    } catch {
      // A value this version cannot read counts as no result.
    }
  });
  return out;
}
