/**
 * Merges an entity's tiles into the state of each of a view's windows at an instant `t`: the
 * window's whole tiles of its own granularity, then whole tiles of each finer granularity for the
 * part after them, then the finest tile holding `t`, whole if none of its events is after `t`,
 * else its raw events at or before `t` (tile-layout.ts). Every layer of a tile (materialized
 * events, each push) is merged.
 */
import { TroveError } from '../../errors.ts';
import type { AggregationCodec } from './aggregation-codec.ts';
import { addRawEvents, decodeState } from './tile-codec.ts';
import { floorDiv, parseField } from './tile-layout.ts';
import { emptyState, mergeState, type TileState } from './tile-state.ts';

const MICROS = 1_000_000;

/** An entity's fields grouped for reading: tiles per granularity and start, raw events per start. */
interface EntityTiles {
  tiles: Map<number, Map<number, Buffer[]>>;
  raw: Map<number, Buffer[]>;
}

function groupFields(fields: readonly (readonly [string, Buffer])[]): EntityTiles {
  const tiles = new Map<number, Map<number, Buffer[]>>();
  const raw = new Map<number, Buffer[]>();
  for (const [name, value] of fields) {
    const parsed = parseField(name);
    if (!parsed) continue;
    let byStart: Map<number, Buffer[]> | undefined = raw;
    if (parsed.g > 0) {
      byStart = tiles.get(parsed.g);
      if (!byStart) {
        byStart = new Map();
        tiles.set(parsed.g, byStart);
      }
    }
    const list = byStart.get(parsed.start);
    if (list) list.push(value);
    else byStart.set(parsed.start, [value]);
  }
  return { tiles, raw };
}

/**
 * The merged state of every window (`codec.layout.spans`, in order) of one entity at `t` (µs),
 * from the fields of its hash.
 */
export function windowStates(
  codec: AggregationCodec,
  fields: readonly (readonly [string, Buffer])[],
  t: number,
): TileState[] {
  const { layout, plans } = codec;
  const { tiles, raw } = groupFields(fields);
  const decoded = new Map<Buffer, TileState>();
  const decode = (text: Buffer): TileState => {
    let state = decoded.get(text);
    if (!state) {
      state = decodeState(plans, text);
      decoded.set(text, state);
    }
    return state;
  };
  /** Merges the whole tiles of `g` starting in [fromMicros, toMicros). */
  const mergeTiles = (into: TileState, g: number, fromMicros: number, toMicros: number): void => {
    const byStart = tiles.get(g);
    if (!byStart || fromMicros >= toMicros) return;
    for (const [start, texts] of byStart) {
      const at = start * MICROS;
      if (at < fromMicros || at >= toMicros) continue;
      for (const text of texts) mergeState(plans, into, decode(text));
    }
  };
  const base = layout.base;
  const baseStart = floorDiv(t, base * MICROS) * base;
  // The finest tile holding t is the same for every window: settle it once.
  const head = emptyState(plans);
  const headTiles = (tiles.get(base)?.get(baseStart) ?? []).map(decode);
  if (headTiles.every((s) => s.maxTs <= t)) for (const s of headTiles) mergeState(plans, head, s);
  else {
    const events = raw.get(baseStart);
    if (!events)
      throw new TroveError(
        'NOW_OUT_OF_RANGE',
        `feature view ${codec.view.name}: the events around that instant are no longer kept online; online reads of aggregation views go back ${layout.horizon} seconds at most`,
      );
    for (const text of events) addRawEvents(plans, head, text, t);
  }

  return layout.spans.map(({ window, granularity }) => {
    const state = emptyState(plans);
    const g = granularity * MICROS;
    const start = Math.ceil((t - window * MICROS) / g) * g;
    let cursor = floorDiv(t, g) * g;
    mergeTiles(state, granularity, start, cursor);
    for (let i = layout.granularities.indexOf(granularity) - 1; i >= 0; i--) {
      const finer = layout.granularities[i]! * MICROS;
      const next = floorDiv(t, finer) * finer;
      mergeTiles(state, layout.granularities[i]!, cursor, next);
      cursor = next;
    }
    mergeState(plans, state, head);
    return state;
  });
}
