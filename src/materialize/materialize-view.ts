/**
 * Materializes one view over one event-time range: streams the newest offline row per entity out
 * of DuckDB chunk by chunk (column vectors), encodes each into an online write, and sends them in
 * batches through the newest-wins script, with at most two batches in flight, so memory stays
 * bounded whatever the number of rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { OnlineStore } from '../online/online-store.ts';
import { ByteWriter } from '../online/value-codec.ts';
import type { ViewCodec } from '../online/view-codec.ts';
import type { WriteBatch } from '../online/write-newest.ts';
import { ChunkRows } from './chunk-rows.ts';
import { type EntitySlice, type MicrosRange, newestRowsSql, partitionFiles } from './offline-rows.ts';
import type { ProgressReporter } from './progress.ts';
import type { ViewLock } from './view-lock.ts';
import { writeWithRetries } from './write-with-retries.ts';

const MAX_IN_FLIGHT = 2;

export interface ViewRunStats {
  /** Rows sent (the newest per entity in the range). */
  rows: number;
  /** Rows that replaced the stored value (the rest were not newer). */
  written: number;
  /** Greatest event time (µs) among the rows sent; null when none were. */
  newestEvent: bigint | null;
}

export interface ViewRunOptions {
  store: OnlineStore;
  connection: DuckDBConnection;
  offlineStorePath: string;
  codec: ViewCodec;
  range: MicrosRange;
  batchSize: number;
  /** Checked before each write: a run that lost its right to write stops. */
  lock: Pick<ViewLock, 'check'>;
  progress: ProgressReporter;
  /** Counts rows before streaming, for a progress bar with a total. */
  countFirst: boolean;
  /** Only the partition of this UTC date (a shard of a distributed run). */
  day?: string;
  /** Only these entities (a shard of a distributed run). */
  slice?: EntitySlice;
}

export async function materializeViewRange(options: ViewRunOptions): Promise<ViewRunStats> {
  const { store, connection, codec, range, batchSize, lock, progress } = options;
  const { files, keysRepeat } = await partitionFiles(
    options.offlineStorePath,
    codec.view.name,
    range,
    options.day,
  );
  const stats: ViewRunStats = { rows: 0, written: 0, newestEvent: null };
  if (files.length === 0) {
    progress.start(codec.view.name, 0);
    return stats;
  }
  const sql = await newestRowsSql(
    connection,
    files,
    codec.view,
    codec.joinKeys,
    range,
    keysRepeat,
    options.slice,
  );
  let total: number | undefined;
  if (options.countFirst) {
    const counted = await connection.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`);
    total = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  }
  progress.start(codec.view.name, total);

  const result = await connection.stream(sql);
  const inFlight: Promise<void>[] = [];
  let batch: WriteBatch = store.createWriteBatch();
  let failure: unknown;

  const send = async (): Promise<void> => {
    if (batch.rows === 0) return;
    lock.check();
    const writing = batch;
    batch = store.createWriteBatch();
    const p = writeWithRetries(store, writing, lock).then(
      (n) => {
        stats.written += n;
        stats.rows += writing.rows;
        progress.advance(writing.rows);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    inFlight.push(p);
    if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    if (failure) throw failure;
  };

  const value = new ByteWriter();
  const { field, tieTypes } = codec;
  // Event times are exact as numbers (µs below 2^53); the newest becomes a bigint at the end.
  let newest = Number.NEGATIVE_INFINITY;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const rows = new ChunkRows(chunk, codec);
    for (let row = 0; row < rows.rowCount; row++) {
      const event = rows.eventMicros(row);
      if (event > newest) newest = event;
      rows.encode(row, value);
      batch.addEntity(rows.entityText(row), field, tieTypes, value.view());
    }
    if (batch.rows >= batchSize) await send();
  }
  if (newest > Number.NEGATIVE_INFINITY) stats.newestEvent = BigInt(newest);
  await send();
  await Promise.all(inFlight);
  if (failure) throw failure;
  return stats;
}
