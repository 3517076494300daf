/**
 * Sends entities' aggregation state writes through the write-tiles script: a few hundred entities
 * per call on a standalone Redis, one call per slot in a cluster (cluster-script.ts).
 */
import { clusterScript, evalEach } from '../cluster-script.ts';
import { keySlot } from '../key-slot.ts';
import { isCluster, type RedisClient } from '../redis-client.ts';
import type { AggregationCodec } from './aggregation-codec.ts';
import type { StateWrite } from './tile-builder.ts';
import { tileWriter, WRITE_TILES_LUA } from './write-tiles-script.ts';

const SCRIPT = clusterScript(WRITE_TILES_LUA);

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

/** Entities per script call: large enough to spread the call's cost, small enough not to stall Redis. */
const KEYS_PER_CALL = 200;

/**
 * A push prunes expired fields of one write in this many (a materialization, every write): expired
 * fields are never read, only stored, and the hash's own expiry removes them once the entity is idle.
 */
const PUSH_PRUNE_EVERY = 16;

function callArgs(
  codec: AggregationCodec,
  writes: readonly EntityStateWrite[],
  nowSeconds: number,
  replaced: ReplacedRange | undefined,
  prune: boolean,
): [number, ...(string | number | Buffer)[]] {
  const args: [number, ...(string | number | Buffer)[]] = [writes.length];
  for (const w of writes) args.push(w.key);
  args.push(nowSeconds, replaced?.from ?? '', replaced?.to ?? '');
  if (prune) {
    const { layout } = codec;
    args.push(layout.granularities.length + 1);
    for (const g of layout.granularities) args.push(String(g), layout.expiresAt(g, 0));
    args.push('r', layout.rawExpiresAt(0));
  } else args.push(0);
  for (const w of writes) {
    args.push(w.write.expiresAtMs, w.write.fields.length);
    for (const [field, value] of w.write.fields) args.push(field, value);
  }
  return args;
}

/**
 * Writes every entity's state; resolves to the fields set. A materialization (`replaced` given)
 * prunes every hash it writes; a push, one in `PUSH_PRUNE_EVERY`.
 */
export async function writeStates(
  client: RedisClient,
  codec: AggregationCodec,
  writes: readonly EntityStateWrite[],
  nowSeconds: number,
  replaced?: ReplacedRange,
): Promise<number> {
  if (writes.length === 0) return 0;
  const prune = replaced !== undefined || Math.random() * PUSH_PRUNE_EVERY < 1;
  const calls: (readonly EntityStateWrite[])[] = [];
  if (isCluster(client)) {
    // One call per slot: a script's keys must share one in a cluster.
    const bySlot = new Map<number, EntityStateWrite[]>();
    for (const w of writes) {
      const slot = keySlot(w.key);
      const list = bySlot.get(slot);
      if (list) list.push(w);
      else bySlot.set(slot, [w]);
    }
    const replies = await evalEach(
      client,
      SCRIPT,
      [...bySlot.values()].map((c) => callArgs(codec, c, nowSeconds, replaced, prune)),
    );
    return replies.reduce<number>((a, b) => a + Number(b), 0);
  }
  for (let i = 0; i < writes.length; i += KEYS_PER_CALL) calls.push(writes.slice(i, i + KEYS_PER_CALL));
  const writer = tileWriter(client);
  const counts = await Promise.all(
    calls.map((c) => {
      const [n, ...args] = callArgs(codec, c, nowSeconds, replaced, prune);
      return writer.troveWriteTiles(n, ...args);
    }),
  );
  return counts.reduce<number>((a, b) => a + Number(b), 0);
}
