/**
 * Request bodies of `POST /push` for the push benchmarks under load: one batch per request, the
 * blocks of rows in turn, every row of a batch stamped with the batch's event time. Each block's
 * JSON is made once; a batch only joins its pieces around the time, so making bodies costs the
 * load generator next to nothing.
 */
const TIME = '@event-time@';

export interface PushBatch {
  body: string;
  /** The batch's event time (ISO). */
  time: string;
  /** Which block the batch carries. */
  block: number;
}

/**
 * `time(n)` stamps the n-th batch (from 0); each block holds the columns of its rows but
 * `event_timestamp`.
 */
export function pushBatches(
  pushSourceName: string,
  blocks: readonly Record<string, readonly unknown[]>[],
  time: (n: number) => string,
): () => PushBatch {
  const pieces = blocks.map((columns) => {
    const rows = Object.values(columns)[0]?.length ?? 0;
    const df = { ...columns, event_timestamp: Array.from({ length: rows }, () => TIME) };
    return JSON.stringify({ push_source_name: pushSourceName, df, to: 'online' }).split(TIME);
  });
  let sent = 0;
  return () => {
    const n = sent++;
    const block = n % pieces.length;
    const stamp = time(n);
    return { body: pieces[block]!.join(stamp), time: stamp, block };
  };
}
