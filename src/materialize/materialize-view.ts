/**
 * Materializes one view over one event-time range: streams the newest offline row per entity out
 * of DuckDB chunk by chunk (column vectors), encodes each into an online write, and sends them in
 * batches through the newest-wins script, with at most two batches in flight, so memory stays
 * bounded whatever the number of rows.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import type { OnlineStore } from '../online/online-store.ts';
import type { ViewCodec } from '../online/view-codec.ts';
import type { OnlineWrite } from '../online/write-newest.ts';
import { type MicrosRange, newestRowsSql, partitionFiles } from './offline-rows.ts';
import type { ProgressReporter } from './progress.ts';
import type { ViewLock } from './view-lock.ts';

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
  lock: ViewLock;
  progress: ProgressReporter;
  /** Counts rows before streaming, for a progress bar with a total. */
  countFirst: boolean;
}

/** Reads a DuckDB item as the codec expects it (int64/timestamps arrive as bigint already). */
function item(vector: DuckDBVector, row: number): unknown {
  return vector.getItem(row);
}

export async function materializeViewRange(options: ViewRunOptions): Promise<ViewRunStats> {
  const { store, connection, codec, range, batchSize, lock, progress } = options;
  const files = await partitionFiles(options.offlineStorePath, codec.view.name, range);
  const stats: ViewRunStats = { rows: 0, written: 0, newestEvent: null };
  if (files.length === 0) {
    progress.start(codec.view.name, 0);
    return stats;
  }
  const sql = await newestRowsSql(connection, files, codec.view, codec.joinKeys, range);
  let total: number | undefined;
  if (options.countFirst) {
    const counted = await connection.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`);
    total = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  }
  progress.start(codec.view.name, total);

  const result = await connection.stream(sql);
  const keyCount = codec.joinKeys.length;
  const featureCount = codec.view.features.length;
  const inFlight: Promise<void>[] = [];
  let batch: OnlineWrite[] = [];
  let failure: unknown;

  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    lock.check();
    const writes = batch;
    batch = [];
    const p = store.write(writes).then(
      (n) => {
        stats.written += n;
        stats.rows += writes.length;
        progress.advance(writes.length);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    inFlight.push(p);
    if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    if (failure) throw failure;
  };

  const keyValues: unknown[] = new Array(keyCount);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const vectors: DuckDBVector[] = [];
    for (let c = 0; c < chunk.columnCount; c++) vectors.push(chunk.getColumnVector(c));
    const eventVec = vectors[keyCount]!;
    const createdVec = vectors[keyCount + 1]!;
    const featureVecs = vectors.slice(keyCount + 2, keyCount + 2 + featureCount);
    const field = codec.field;
    for (let row = 0; row < chunk.rowCount; row++) {
      for (let k = 0; k < keyCount; k++) keyValues[k] = item(vectors[k]!, row);
      const event = item(eventVec, row) as bigint;
      if (stats.newestEvent === null || event > stats.newestEvent) stats.newestEvent = event;
      const value = codec.encode(event, item(createdVec, row) as bigint | null, (i) =>
        item(featureVecs[i]!, row),
      );
      batch.push({ key: store.keys.entity(codec.entityKeys.text(keyValues)), field, value });
    }
    if (batch.length >= batchSize) await send();
  }
  await send();
  await Promise.all(inFlight);
  if (failure) throw failure;
  return stats;
}
