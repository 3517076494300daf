import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type Schema,
  Table,
} from 'apache-arrow';
import { quoteString } from '../duckdb/sql-literals.ts';
import { TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { arrowSchemaOf, recordBatchOfChunk } from './duckdb-to-arrow.ts';
import { type HistoricalQuery, type HistoricalRequest, prepareHistoricalQuery } from './historical-query.ts';
import type { OfflineConfig } from './offline-duckdb.ts';
import { historicalOnDemandPlan, onDemandDataset, storedRequest } from './on-demand/historical-on-demand.ts';
import { writeBatchesFile } from './on-demand/write-batches-file.ts';

/** File formats a training dataset can be written as, chosen by the output file's extension. */
export type DatasetFormat = 'parquet' | 'csv' | 'arrow';

/** What writing a dataset produced. */
export interface DatasetFile {
  path: string;
  rows: number;
  format: DatasetFormat;
}

/** Training rows as Arrow record batches, with the schema known before the first batch. */
export interface HistoricalBatches {
  schema: Schema;
  batches: AsyncIterable<RecordBatch>;
}

export function datasetFormatOf(file: string): DatasetFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet') return 'parquet';
  if (ext === '.csv') return 'csv';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc') return 'arrow';
  throw new TroveError('INVALID_OUTPUT', `output file ${file}: expected a .parquet, .csv or .arrow file`);
}

/** Fails early, before any work, when the output cannot be written where asked. */
export async function checkWritable(target: string): Promise<void> {
  const dir = path.dirname(target);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new TroveError('INVALID_OUTPUT', `cannot write ${target}: folder ${dir} does not exist`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new TroveError('INVALID_OUTPUT', `cannot write ${target}: folder ${dir} is not writable`);
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory())
    throw new TroveError('INVALID_OUTPUT', `cannot write ${target}: it is a folder`);
}

/** DuckDB's COPY options of a dataset file: every writer of one format writes the same bytes. */
export function copyOptions(format: 'parquet' | 'csv'): string {
  return format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : 'FORMAT csv, HEADER true';
}

/**
 * Streams the query's result as record batches, one per DuckDB chunk, converted from DuckDB's
 * column vectors (no JS row objects). The DuckDB handle is closed when iteration ends or stops.
 */
async function streamBatches(query: HistoricalQuery): Promise<HistoricalBatches> {
  let result: Awaited<ReturnType<typeof query.db.connection.stream>>;
  try {
    result = await query.db.connection.stream(query.sql);
  } catch (err) {
    query.close();
    throw err;
  }
  const schema = arrowSchemaOf(result.columnNames(), result.columnTypes());
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        yield recordBatchOfChunk(chunk, schema);
      }
    } finally {
      query.close();
    }
  }
  return { schema, batches: batches() };
}

/** Training rows of a request as a stream of Arrow record batches. */
export async function historicalBatches(
  config: OfflineConfig,
  registry: Registry,
  request: HistoricalRequest,
): Promise<HistoricalBatches> {
  const plan = historicalOnDemandPlan(registry, request);
  if (!plan) return streamBatches(await prepareHistoricalQuery(config, registry, request));
  const stored = await streamBatches(
    await prepareHistoricalQuery(config, registry, storedRequest(request, plan), undefined, true),
  );
  return onDemandDataset(config, plan, stored);
}

const EOS_BYTES = 8;

function ipcStreamBytes(schema: Schema, batches: readonly RecordBatch[]): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  for (const b of batches) writer.write(b);
  writer.finish();
  return writer.toUint8Array(true);
}

/**
 * Training rows as Arrow IPC stream bytes (what `pyarrow.ipc.open_stream` reads), produced batch
 * by batch as the consumer pulls, so a slow reader holds back the query instead of memory growing.
 * Each batch is encoded on its own: a stream is the schema message, the batch messages and an
 * end marker, and the schema message of a schema is always the same bytes.
 */
export async function historicalIpcStream(
  config: OfflineConfig,
  registry: Registry,
  request: HistoricalRequest,
): Promise<AsyncIterable<Uint8Array>> {
  const { schema, batches } = await historicalBatches(config, registry, request);
  const empty = ipcStreamBytes(schema, []);
  const head = empty.subarray(0, empty.byteLength - EOS_BYTES);
  // The first batch is computed before this resolves: a failure there (a transform failing on the
  // first rows, the usual case for a small dataset) is the caller's to answer with its status,
  // where later ones can only cut the stream short.
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield head;
    for (let next = first; !next.done; next = await iterator.next()) {
      const one = ipcStreamBytes(schema, [next.value]);
      yield one.subarray(head.byteLength, one.byteLength - EOS_BYTES);
    }
    yield empty.subarray(empty.byteLength - EOS_BYTES);
  }
  return bytes();
}

/** Training rows as an in-memory Arrow table. */
export async function historicalTable(
  config: OfflineConfig,
  registry: Registry,
  request: HistoricalRequest,
): Promise<Table> {
  const { schema, batches } = await historicalBatches(config, registry, request);
  const all: RecordBatch[] = [];
  for await (const b of batches) all.push(b);
  return all.length > 0 ? new Table(all) : new Table(schema);
}

/**
 * Writes training rows to a file. DuckDB writes Parquet and CSV itself (COPY streams, so memory
 * does not grow with the output); Arrow IPC files are written batch by batch. The data goes to a
 * temporary name beside the target and is renamed at the end, so a failure leaves no partial file.
 */
export async function writeHistoricalFile(
  config: OfflineConfig,
  registry: Registry,
  request: HistoricalRequest,
  out: string,
): Promise<DatasetFile> {
  const target = path.resolve(out);
  const format = datasetFormatOf(target);
  await checkWritable(target);
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    let rows = 0;
    // Told once the query is prepared, as the rows start to flow: the lineage's work runs beside
    // the join's heavy part, not among the short steps before it.
    const writing = () => request.lineage?.writing?.(temp);
    const plan = historicalOnDemandPlan(registry, request);
    if (plan && format !== 'arrow') {
      // Rows with on-demand features come back from JS: DuckDB takes them again to write the file.
      const { schema, batches } = await historicalBatches(config, registry, request);
      writing();
      rows = await writeBatchesFile(config, schema, batches, temp, format);
      await rename(temp, target);
      return { path: target, rows, format };
    }
    const query = plan ? undefined : await prepareHistoricalQuery(config, registry, request, temp);
    if (format === 'arrow') {
      const { schema, batches } = query
        ? await streamBatches(query)
        : await historicalBatches(config, registry, request);
      writing();
      const file = createWriteStream(temp);
      const writer = new RecordBatchFileWriter();
      writer.reset(file, schema);
      for await (const batch of batches) {
        rows += batch.numRows;
        writer.write(batch);
        // Let the file stream drain between batches so buffered bytes stay bounded.
        if (file.writableNeedDrain) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
      }
      writer.finish();
      await finished(file);
    } else if (query) {
      try {
        writing();
        const copied = await query.db.connection.runAndReadAll(
          `COPY (${query.sql}) TO ${quoteString(temp)} (${copyOptions(format)})`,
        );
        rows = Number(copied.getColumns()[0]?.[0] ?? 0);
      } finally {
        query.close();
      }
    }
    await rename(temp, target);
    return { path: target, rows, format };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
