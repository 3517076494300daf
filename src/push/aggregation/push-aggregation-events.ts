/**
 * Pushed rows into an aggregation view's online state: the rows are grouped by entity and folded
 * into that push's own layer of each tile (fields keyed by the push id), written in one script step
 * per entity. The same push sent again (a retry with the same idempotency key) sets the same
 * fields to the same values, and a materialization that later finds the rows offline writes them
 * under the same id: no event is counted twice.
 */
import type { AggregationCodec } from '../../online/aggregation/aggregation-codec.ts';
import { TileBuilder } from '../../online/aggregation/tile-builder.ts';
import { type EntityStateWrite, writeStates } from '../../online/aggregation/write-states.ts';
import type { OnlineStore } from '../../online/online-store.ts';

/** A push's rows as checked columns, in canonical form. */
export interface PushedEvents {
  rows: number;
  /** Per join key of the view, its values. */
  keys: readonly (readonly unknown[])[];
  /** Event and created times, µs. */
  event: readonly bigint[];
  created: readonly (bigint | null)[] | undefined;
  /** Per aggregated column of the view (`view.columns` order), its values. */
  columns: readonly (readonly unknown[])[];
}

/** Writes a push's events into the view's online state; resolves to the entities written. */
export async function pushAggregationEvents(
  store: OnlineStore,
  codec: AggregationCodec,
  pushId: string,
  events: PushedEvents,
  nowMs: number,
): Promise<number> {
  const nowSeconds = Math.floor(nowMs / 1000);
  const builders = new Map<string, TileBuilder>();
  const keyValues: unknown[] = new Array(events.keys.length);
  for (let r = 0; r < events.rows; r++) {
    for (let k = 0; k < keyValues.length; k++) keyValues[k] = events.keys[k]![r];
    const entity = codec.entityKeys.text(keyValues);
    let builder = builders.get(entity);
    if (!builder) {
      builder = new TileBuilder(codec, pushId, nowSeconds);
      builders.set(entity, builder);
    }
    const created = events.created?.[r] ?? null;
    builder.add({
      ts: Number(events.event[r]!),
      created: created === null ? null : Number(created),
      values: events.columns.map((c) => c[r] ?? null),
    });
  }
  const writes: EntityStateWrite[] = [];
  for (const [entity, builder] of builders) {
    if (builder.isEmpty) continue;
    writes.push({ key: codec.key(store.keys, entity), write: builder.finish() });
  }
  await writeStates(store.client, codec, writes, nowSeconds);
  return writes.length;
}
