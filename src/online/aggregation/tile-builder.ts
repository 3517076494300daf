/**
 * Folds one entity's events of one layer (materialized events, or one push) into the hash fields
 * of its state: a tile per granularity an event falls in, and the raw events of base tiles still
 * within the read horizon. Tiles no read can reach any more are left out.
 */
import type { AggregationCodec } from './aggregation-codec.ts';
import { encodeRawEvents, encodeState } from './tile-codec.ts';
import { floorDiv, rawField, tileField } from './tile-layout.ts';
import { addEvent, emptyState, type TileState } from './tile-state.ts';

const MICROS = 1_000_000;

/** One event: event and created µs, and the canonical value of each aggregated column. */
export interface AggregationEvent {
  ts: number;
  created: number | null;
  values: readonly unknown[];
}

/** What one entity's write sets: fields and values, and when the last of them stops mattering (ms). */
export interface StateWrite {
  fields: [string, Buffer][];
  expiresAtMs: number;
}

export class TileBuilder {
  private readonly tiles = new Map<string, TileState>();
  private readonly raw = new Map<number, AggregationEvent[]>();
  private expiresAt = 0;

  /**
   * `pushId` null builds the materialized layer; `nowSeconds` is the wall clock deciding what
   * has expired already.
   */
  constructor(
    private readonly codec: AggregationCodec,
    private readonly pushId: string | null,
    private readonly nowSeconds: number,
  ) {}

  get isEmpty(): boolean {
    return this.tiles.size === 0;
  }

  add(event: AggregationEvent): void {
    const { layout, plans } = this.codec;
    const seconds = floorDiv(event.ts, MICROS);
    for (const g of layout.granularities) {
      const start = floorDiv(seconds, g) * g;
      const expires = layout.expiresAt(g, start);
      if (expires <= this.nowSeconds) continue;
      if (expires > this.expiresAt) this.expiresAt = expires;
      const field = tileField(g, start, this.pushId);
      let state = this.tiles.get(field);
      if (!state) {
        state = emptyState(plans);
        this.tiles.set(field, state);
      }
      addEvent(plans, state, event.ts, event.created, event.values);
    }
    const base = floorDiv(seconds, layout.base) * layout.base;
    if (layout.rawExpiresAt(base) > this.nowSeconds) {
      const list = this.raw.get(base);
      if (list) list.push(event);
      else this.raw.set(base, [event]);
    }
  }

  /** The fields to set, in no particular order; empty when every event was too old to keep. */
  finish(): StateWrite {
    const { plans } = this.codec;
    const fields: [string, Buffer][] = [];
    for (const [field, state] of this.tiles) fields.push([field, encodeState(plans, state)]);
    for (const [start, events] of this.raw)
      fields.push([rawField(start, this.pushId), encodeRawEvents(plans, events)]);
    return { fields, expiresAtMs: this.expiresAt * 1000 };
  }
}
