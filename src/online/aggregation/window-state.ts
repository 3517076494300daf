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
 * Calls `visit` with the merged state of every window (`codec.layout.spans`, by index) of one
 * entity at `t` (µs), from the fields of its hash. The state is only valid during the call: it
 * goes on to become the next longer window's.
 */
export function forEachWindow(
  codec: AggregationCodec,
  tiles: readonly StoredTile[],
  t: number,
  visit: (span: number, state: TileState) => void,
): void {
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

  // Tiles by granularity level (finest first). Each tile is merged once: the part of a window
  // after its own granularity's last whole tile is shared by every window of that granularity and
  // built from the finer level's (head), and a window's state extends the next shorter one's.
  const levels: StoredTile[][] = granularities.map(() => []);
  for (const tile of tiles) {
    if (tile.g === 0 || (tile.g === base && tile.start === baseStart)) continue;
    const i = granularities.indexOf(tile.g);
    if (i >= 0) levels[i]!.push(tile);
  }
  const mergeRange = (into: TileState, level: number, from: number, to: number): void => {
    for (const tile of levels[level]!)
      if (tile.start >= from && tile.start < to) mergeBytes(plans, into, tile.bytes);
  };
  const copyOf = (state: TileState): TileState => {
    const copy = emptyState(plans);
    mergeState(plans, copy, state);
    return copy;
  };
  const cursor = granularities.map((g) => floorDiv(t, g * MICROS) * g);
  const heads: TileState[] = [head];
  for (let i = 1; i < granularities.length; i++) {
    const next = copyOf(heads[i - 1]!);
    mergeRange(next, i - 1, cursor[i]!, cursor[i - 1]!);
    heads.push(next);
  }
  for (let level = 0; level < granularities.length; level++) {
    const granularity = granularities[level]!;
    const g = granularity * MICROS;
    const state = copyOf(heads[level]!);
    let upTo = cursor[level]!;
    for (const index of layout.spansByLevel[level]!) {
      const start = Math.ceil((t - layout.spans[index]!.window * MICROS) / g) * granularity;
      mergeRange(state, level, start, upTo);
      upTo = Math.min(upTo, start);
      visit(index, state);
    }
  }
}

/** The merged state of every window (`codec.layout.spans`, in order) of one entity at `t` (µs). */
export function windowStates(codec: AggregationCodec, tiles: readonly StoredTile[], t: number): TileState[] {
  const states = new Array<TileState>(codec.layout.spans.length);
  forEachWindow(codec, tiles, t, (span, state) => {
    states[span] = emptyState(codec.plans);
    mergeState(codec.plans, states[span]!, state);
  });
  return states;
}
