/**
 * Materializes an aggregation view: rebuilds the online state of every tile in a range from the
 * view's offline events. The range is widened to whole tiles of the view's coarsest granularity
 * (so every tile written is computed from all its events) and narrowed to what reads can still
 * reach. Each entity's tiles are folded from its events in one pass and written in one script step
 * that replaces the materialized layer of the range: a run killed at any point and run again sets
 * the same tiles, never adds to them. Pushed rows found offline are folded into their push's own
 * layer, keyed by push id, so state the push itself wrote is set again, not counted twice.
 */
import { type DuckDBConnection, JSDuckDBValueConverter } from '@duckdb/node-api';
import type { AggregationCodec } from '../../online/aggregation/aggregation-codec.ts';
import { TileBuilder } from '../../online/aggregation/tile-builder.ts';
import { floorDiv } from '../../online/aggregation/tile-layout.ts';
import { type EntityStateWrite, writeStates } from '../../online/aggregation/write-states.ts';
import type { OnlineStore } from '../../online/online-store.ts';
import { type MicrosRange, partitionFiles } from '../offline-rows.ts';
import type { ProgressReporter } from '../progress.ts';
import type { ViewLock } from '../view-lock.ts';
import { aggregationEventsSql } from './aggregation-events-sql.ts';

/** Entities whose state goes to Redis in one pipeline. */
const ENTITIES_PER_WRITE = 500;

export interface AggregationRunOptions {
  store: OnlineStore;
  connection: DuckDBConnection;
  offlineStorePath: string;
  codec: AggregationCodec;
  range: MicrosRange;
  lock: ViewLock;
  progress: ProgressReporter;
  /** The wall clock (ms) that decides which tiles reads can still reach. */
  nowMs: number;
}

export interface AggregationRunStats {
  /** Events read. */
  rows: number;
  /** Entities whose state was written. */
  written: number;
  /** Greatest event time (µs) read; null when none. */
  newestEvent: bigint | null;
}

/** The tile-aligned span [from, to) in seconds a run rebuilds, or undefined when nothing is left. */
export function rebuiltSpan(
  codec: AggregationCodec,
  range: MicrosRange,
  nowMs: number,
): { from: number; to: number } | undefined {
  const { layout } = codec;
  const coarsest = layout.granularities.at(-1)!;
  const reachable = Math.floor(nowMs / 1000) - layout.longestLifetime;
  const start =
    range.start === undefined ? reachable : Math.max(reachable, floorDiv(Number(range.start), 1e6));
  const from = floorDiv(start, coarsest) * coarsest;
  const to = (floorDiv(floorDiv(Number(range.end), 1e6), coarsest) + 1) * coarsest;
  return from < to ? { from, to } : undefined;
}

export async function materializeAggregationRange(
  options: AggregationRunOptions,
): Promise<AggregationRunStats> {
  const { store, connection, codec, lock, progress } = options;
  const stats: AggregationRunStats = { rows: 0, written: 0, newestEvent: null };
  const span = rebuiltSpan(codec, options.range, options.nowMs);
  const files = span
    ? (
        await partitionFiles(options.offlineStorePath, codec.view.name, {
          start: BigInt(span.from) * 1_000_000n,
          end: BigInt(span.to) * 1_000_000n - 1n,
        })
      ).files
    : [];
  progress.start(codec.view.name, undefined);
  if (!span || files.length === 0) return stats;

  const sql = await aggregationEventsSql(
    connection,
    files,
    codec,
    BigInt(span.from) * 1_000_000n,
    BigInt(span.to) * 1_000_000n,
  );
  const result = await connection.stream(sql);
  const nowSeconds = Math.floor(options.nowMs / 1000);
  const keyCount = codec.joinKeys.length;
  let pending: EntityStateWrite[] = [];
  let entity: string | undefined;
  let layers = new Map<string | null, TileBuilder>();
  let newest = Number.NEGATIVE_INFINITY;

  const closeEntity = (): void => {
    if (entity === undefined) return;
    const fields: [string, Buffer][] = [];
    let expiresAtMs = 0;
    for (const builder of layers.values()) {
      const write = builder.finish();
      fields.push(...write.fields);
      if (write.expiresAtMs > expiresAtMs) expiresAtMs = write.expiresAtMs;
    }
    // An entity with nothing left to keep still gets its materialized layer of the span cleared.
    pending.push({ key: codec.key(store.keys, entity), write: { fields, expiresAtMs } });
    layers = new Map();
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    lock.check();
    const writing = pending;
    pending = [];
    await writeStates(store.client, codec, writing, nowSeconds, span);
    stats.written += writing.length;
  };

  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const rows = chunk.convertRows(JSDuckDBValueConverter);
    for (const row of rows) {
      const text = codec.entityKeys.text(row.slice(0, keyCount));
      if (text !== entity) {
        closeEntity();
        entity = text;
        if (pending.length >= ENTITIES_PER_WRITE) await flush();
      }
      const ts = Number(row[keyCount] as bigint);
      const created = row[keyCount + 1] === null ? null : Number(row[keyCount + 1] as bigint);
      const pushId = (row[keyCount + 2] as string | null) ?? null;
      let builder = layers.get(pushId);
      if (!builder) {
        builder = new TileBuilder(codec, pushId, nowSeconds);
        layers.set(pushId, builder);
      }
      builder.add({ ts, created, values: row.slice(keyCount + 3) });
      if (ts > newest) newest = ts;
    }
    stats.rows += rows.length;
    progress.advance(rows.length);
  }
  closeEntity();
  await flush();
  if (newest > Number.NEGATIVE_INFINITY) stats.newestEvent = BigInt(newest);
  return stats;
}
