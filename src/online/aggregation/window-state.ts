/**
 * Merges an entity's tiles into the state of each of a view's windows at an instant `t`: the
 * window's whole tiles of its own granularity, then whole tiles of each finer granularity for the
 * part after them, then the finest tile holding `t`, whole if none of its events is after `t`,
 * else its raw events at or before `t` (tile-layout.ts). Every layer of a tile (materialized
 * events, each push) is merged.
 */
import { TroveError } from '../../errors.ts';
import type { AggregationCodec } from './aggregation-codec.ts';
import { addRawEvents, mergeBytes, newestEventOf } from './tile-codec.ts';
import { floorDiv } from './tile-layout.ts';
import { emptyState, mergeState, type TileState } from './tile-state.ts';

const MICROS = 1_000_000;

/** One field of an entity's hash: a tile (`g` > 0) or raw events (`g` = 0), start in seconds. */
export interface StoredTile {
  g: number;
  start: number;
  bytes: Buffer;
}

/**
 * The merged state of every window (`codec.layout.spans`, in order) of one entity at `t` (µs),
 * from the fields of its hash. Each window takes one pass over the fields: an entity keeps tens of
 * them, and a pass is cheaper than grouping them into maps on every read.
 */
export function windowStates(codec: AggregationCodec, tiles: readonly StoredTile[], t: number): TileState[] {
  const { layout, plans } = codec;
  const granularities = layout.granularities;
  const base = layout.base;
  const baseStart = floorDiv(t, base * MICROS) * base;

  // The finest tile holding t is the same for every window: settle it once.
  const head = emptyState(plans);
  let whole = true;
  for (const tile of tiles)
    if (tile.g === base && tile.start === baseStart && newestEventOf(tile.bytes) > t) whole = false;
  let rawFound = false;
  for (const tile of tiles) {
    if (tile.start !== baseStart) continue;
    if (whole && tile.g === base) mergeBytes(plans, head, tile.bytes);
    else if (!whole && tile.g === 0) {
      addRawEvents(plans, head, tile.bytes, t);
      rawFound = true;
    }
  }
  if (!whole && !rawFound)
    throw new TroveError(
      'NOW_OUT_OF_RANGE',
      `feature view ${codec.view.name}: the events around that instant are no longer kept online; online reads of aggregation views go back ${layout.horizon} seconds at most`,
    );

  // Per granularity (finest first), the tile starts (seconds) a window takes whole: [from, to).
  const from = new Array<number>(granularities.length);
  const to = new Array<number>(granularities.length);
  return layout.spans.map(({ window, granularity }) => {
    const level = granularities.indexOf(granularity);
    const g = granularity * MICROS;
    from[level] = Math.ceil((t - window * MICROS) / g) * granularity;
    let cursor = floorDiv(t, g) * granularity;
    to[level] = cursor;
    for (let i = level - 1; i >= 0; i--) {
      from[i] = cursor;
      cursor = floorDiv(t, granularities[i]! * MICROS) * granularities[i]!;
      to[i] = cursor;
    }
    const state = emptyState(plans);
    for (const tile of tiles) {
      if (tile.g === 0) continue;
      const i = tile.g === granularity ? level : granularities.indexOf(tile.g);
      if (i < 0 || i > level) continue;
      if (tile.start >= from[i]! && tile.start < to[i]!) mergeBytes(plans, state, tile.bytes);
    }
    mergeState(plans, state, head);
    return state;
  });
}
