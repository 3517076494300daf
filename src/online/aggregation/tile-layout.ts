/**
 * Where an aggregation view's online state lives in time: the tile granularities it keeps, how
 * long each tile must live, and the hash field naming a tile or a tile's raw events.
 *
 * The granularities are the distinct granularities of the view's windows. Each divides the next
 * (5m | 1h | 1d by default; a view's own granularity is the only one), so a window at `t` is its
 * own granularity's whole tiles, then, for the part after the last whole tile, the next finer
 * granularity's whole tiles, and so on down to the finest tile holding `t`, which is read whole
 * when none of its events is after `t` and from its raw events otherwise. Raw events are kept for
 * the finest tiles of the last `ONLINE_HORIZON_SECONDS` only: reads are exact at any instant from
 * `now - ONLINE_HORIZON_SECONDS` on. Layout and cost: docs/aggregations.md.
 */
import {
  type AggregationFeatureSpec,
  type AggregationView,
  aggregationFeatureSpecs,
} from '../../definitions/aggregation/aggregation-view.ts';

/** How far back (seconds before now) an online read of an aggregation view can be asked for. */
export const ONLINE_HORIZON_SECONDS = 3600;

/** A window of one feature, in seconds. */
export interface WindowSpan {
  window: number;
  granularity: number;
}

/** `floor(a / b)` for integers of either sign. */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export class TileLayout {
  /** Granularities in seconds, finest first. */
  readonly granularities: readonly number[];
  /** Seconds after its start a tile of each granularity stops being read (same order). */
  private readonly lifetimes: readonly number[];
  /** Every distinct (window, granularity) of the view, in feature order of first use. */
  readonly spans: readonly WindowSpan[];
  readonly specs: readonly AggregationFeatureSpec[];
  /** Per granularity (same order), the indexes of its spans in `spans`, shortest window first. */
  readonly spansByLevel: readonly (readonly number[])[];
  readonly horizon: number;

  constructor(view: Pick<AggregationView, 'aggregations' | 'granularity'>, horizon = ONLINE_HORIZON_SECONDS) {
    this.horizon = horizon;
    this.specs = aggregationFeatureSpecs(view);
    const spans = new Map<string, WindowSpan>();
    for (const s of this.specs)
      spans.set(`${s.window}/${s.granularity}`, { window: s.window, granularity: s.granularity });
    this.spans = [...spans.values()];
    this.granularities = [...new Set(this.spans.map((s) => s.granularity))].sort((a, b) => a - b);
    for (let i = 1; i < this.granularities.length; i++) {
      if (this.granularities[i]! % this.granularities[i - 1]! !== 0)
        throw new Error(
          `granularity ${this.granularities[i]} is not a multiple of ${this.granularities[i - 1]}`,
        );
    }
    this.spansByLevel = this.granularities.map((g) =>
      this.spans
        .map((span, index) => ({ span, index }))
        .filter(({ span }) => span.granularity === g)
        .sort((a, b) => a.span.window - b.span.window)
        .map(({ index }) => index),
    );
    this.lifetimes = this.granularities.map((g, i) => {
      const longest = Math.max(0, ...this.spans.filter((s) => s.granularity === g).map((s) => s.window));
      // A finer tile is also read for the part of a coarser window after its last whole tile.
      const coarser = this.granularities[i + 1] ?? 0;
      return Math.max(longest, coarser, g) + g + horizon;
    });
  }

  /** The finest granularity: its tiles hold `t` and keep raw events. */
  get base(): number {
    return this.granularities[0]!;
  }

  /** The instant (seconds) after which no read needs the tile of granularity `g` starting at `start`. */
  expiresAt(g: number, start: number): number {
    return start + this.lifetimes[this.granularities.indexOf(g)]!;
  }

  /** The instant (seconds) after which no read needs the raw events of the base tile at `start`. */
  rawExpiresAt(start: number): number {
    return start + this.base + this.horizon;
  }

  /** The longest any tile lives: state older than `now - this` is never read. */
  get longestLifetime(): number {
    return Math.max(...this.lifetimes);
  }
}

/** Hash field of a tile's aggregate: `<g>:<start>` (materialized events) or `<g>:<start>:<push id>`. */
export function tileField(g: number, start: number, pushId: string | null): string {
  return pushId === null ? `${g}:${start}` : `${g}:${start}:${pushId}`;
}

/** Hash field of a base tile's raw events: `r:<start>` or `r:<start>:<push id>`. */
export function rawField(start: number, pushId: string | null): string {
  return pushId === null ? `r:${start}` : `r:${start}:${pushId}`;
}
