/**
 * Sends entities' aggregation state writes through the write-tiles script: one call per entity,
 * all in one pipeline on a standalone Redis (one round trip), one call per key in a cluster.
 */
import { isCluster, type RedisClient } from '../redis-client.ts';
import type { AggregationCodec } from './aggregation-codec.ts';
import type { StateWrite } from './tile-builder.ts';
import { tileWriter } from './write-tiles-script.ts';

/** One entity's write: its state hash and what to set there. */
export interface EntityStateWrite {
  key: string;
  write: StateWrite;
}

/** A range of tile starts (seconds) whose materialized layer a write replaces: [from, to). */
export interface ReplacedRange {
  from: number;
  to: number;
}

function scriptArgs(
  codec: AggregationCodec,
  write: StateWrite,
  nowSeconds: number,
  replaced: ReplacedRange | undefined,
): (string | number | Buffer)[] {
  const args: (string | number | Buffer)[] = [write.expiresAtMs, write.fields.length];
  for (const [field, value] of write.fields) args.push(field, value);
  args.push(nowSeconds, replaced?.from ?? '', replaced?.to ?? '');
  for (const g of codec.layout.granularities) args.push(String(g), codec.layout.expiresAt(g, 0));
  args.push('r', codec.layout.rawExpiresAt(0));
  return args;
}

/** Writes every entity's state; resolves to the fields set. */
export async function writeStates(
  client: RedisClient,
  codec: AggregationCodec,
  writes: readonly EntityStateWrite[],
  nowSeconds: number,
  replaced?: ReplacedRange,
): Promise<number> {
  if (writes.length === 0) return 0;
  const writer = tileWriter(client);
  if (isCluster(client)) {
    const counts = await Promise.all(
      writes.map((w) => writer.troveWriteTiles(w.key, ...scriptArgs(codec, w.write, nowSeconds, replaced))),
    );
    return counts.reduce((a, b) => a + Number(b), 0);
  }
  const pipeline = writer.pipeline() as unknown as {
    troveWriteTiles(...args: (string | number | Buffer)[]): void;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  for (const w of writes)
    pipeline.troveWriteTiles(w.key, ...scriptArgs(codec, w.write, nowSeconds, replaced));
  let set = 0;
  for (const [err, n] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    set += Number(n);
  }
  return set;
}
