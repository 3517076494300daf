/**
 * The one write path of the online store: rows go through the newest-wins script
 * (write-newest-script.ts), in calls of up to ROWS_PER_CALL rows.
 */
import type { ChainableCommander } from 'ioredis';
import { clusterScript, evalEach, type ScriptCall } from './cluster-script.ts';
import type { InsertFirst } from './insert-first.ts';
import { keySlot } from './key-slot.ts';
import { NewestWriteBatch } from './newest-write-batch.ts';
import type { OnlineKeys } from './online-keys.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import { RespConnection } from './resp/resp-connection.ts';
import { RespError } from './resp/resp-reply.ts';
import { ROWS_PER_CALL, WRITE_NEWEST_LUA } from './write-newest-script.ts';

const COMMAND = 'troveWriteNewest';
const SCRIPT = clusterScript(WRITE_NEWEST_LUA);

/**
 * One row to write: an entity hash, the view's field, the view's type signature (`tieTypes`, which
 * settles rows tying on event and created time) and the encoded value.
 */
export interface OnlineWrite {
  key: string;
  field: string;
  tieTypes: string;
  value: Buffer;
}

/** Rows collected for one newest-wins write, however the connection wants them held. */
export interface WriteBatch {
  /** Adds a row; `value` is copied, so the caller may reuse its bytes. */
  add(key: string, field: string, tieTypes: string, value: Uint8Array): void;
  /** Adds a row of the entity hash of `entityText` (see online-keys.ts), as `add` does. */
  addEntity(entityText: string, field: string, tieTypes: string, value: Uint8Array): void;
  readonly rows: number;
}

/** A batch as a list of rows, for the general client (a cluster groups them by slot). */
export class OnlineWriteList implements WriteBatch {
  readonly writes: OnlineWrite[] = [];

  constructor(private readonly keys: OnlineKeys) {}

  get rows(): number {
    return this.writes.length;
  }

  add(key: string, field: string, tieTypes: string, value: Uint8Array): void {
    this.writes.push({ key, field, tieTypes, value: Buffer.from(value) });
  }

  addEntity(entityText: string, field: string, tieTypes: string, value: Uint8Array): void {
    this.add(this.keys.entity(entityText), field, tieTypes, value);
  }
}

type ScriptArgs = [number, ...(string | Buffer)[]];
interface WriteNewestCommand {
  troveWriteNewest(...args: ScriptArgs): Promise<number>;
}

const defined = new WeakSet<object>();

function ensureDefined(client: RedisClient): void {
  if (defined.has(client)) return;
  client.defineCommand(COMMAND, { lua: WRITE_NEWEST_LUA });
  defined.add(client);
}

function callArgs(writes: readonly OnlineWrite[], from: number, to: number): ScriptArgs {
  const n = to - from;
  const args: ScriptArgs = [n];
  for (let i = from; i < to; i++) args.push(writes[i]!.key);
  for (let i = from; i < to; i++) args.push(writes[i]!.field, writes[i]!.value);
  // Each field's type signature once per call (see write-newest-script.ts).
  const types = new Map<string, string>();
  for (let i = from; i < to; i++) types.set(writes[i]!.field, writes[i]!.tieTypes);
  for (const [field, tieTypes] of types) args.push(field, tieTypes);
  return args;
}

/**
 * Sends finished script calls on the store's own connection, all in one write. A Redis that does
 * not know the script yet (a new or restarted server) gets it loaded, and the calls it refused are
 * sent again; they did nothing the first time.
 */
export async function sendNewestCalls(connection: RespConnection, calls: readonly Buffer[]): Promise<number> {
  let pending = calls;
  let written = 0;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const batch = pending;
    // Each call may take the command timeout, as if they were sent one after another.
    const replies = await connection.batch(
      batch.length,
      (w) => {
        for (const call of batch) w.raw(call);
      },
      connection.commandTimeoutMs * batch.length,
    );
    const refused: Buffer[] = [];
    replies.forEach((reply, i) => {
      if (typeof reply === 'number') written += reply;
      else if (reply instanceof RespError && reply.message.startsWith('NOSCRIPT') && attempt === 0)
        refused.push(batch[i]!);
      else throw reply instanceof RespError ? reply : new RespError(`unexpected reply ${String(reply)}`);
    });
    if (refused.length > 0) await connection.send(['SCRIPT', 'LOAD', WRITE_NEWEST_LUA]);
    pending = refused;
  }
  return written;
}

/**
 * Sends a batch on the store's own connection: as `HSETNX`es first when `insertFirst` says so (see
 * insert-first.ts), then the rows those left through the script; otherwise all through the script.
 */
export async function sendNewestBatch(
  connection: RespConnection,
  batch: NewestWriteBatch,
  insertFirst: InsertFirst,
): Promise<number> {
  if (batch.rows === 0) return 0;
  if (!insertFirst.next()) return sendNewestCalls(connection, batch.scriptCalls());
  const inserts = batch.inserts();
  // The time the same rows would have as script calls, each of which may take the command timeout.
  const calls = Math.ceil(batch.rows / ROWS_PER_CALL);
  const replies = await connection.batch(
    batch.rows,
    (w) => w.raw(inserts),
    connection.commandTimeoutMs * calls,
  );
  let inserted = 0;
  const left: number[] = [];
  for (let i = 0; i < replies.length; i++) {
    const reply = replies[i];
    if (reply === 1) inserted++;
    else if (reply === 0) left.push(i);
    else throw reply instanceof RespError ? reply : new RespError(`unexpected reply ${String(reply)}`);
  }
  insertFirst.observe(batch.rows, inserted);
  if (left.length === 0) return inserted;
  return inserted + (await sendNewestCalls(connection, batch.scriptCalls(left)));
}

function writeNewestResp(connection: RespConnection, writes: readonly OnlineWrite[]): Promise<number> {
  const batch = new NewestWriteBatch();
  for (const w of writes) batch.add(w.key, w.field, w.tieTypes, w.value);
  return sendNewestCalls(connection, batch.scriptCalls());
}

/**
 * Writes rows under the newest-wins rule; resolves to the number of rows that replaced the stored
 * value. On a standalone Redis every call of the batch goes out in one write. In a cluster,
 * rows are grouped by slot so each call touches one slot, and the calls are auto-pipelined per node.
 */
export async function writeNewest(
  client: RedisClient | RespConnection,
  writes: readonly OnlineWrite[],
): Promise<number> {
  if (writes.length === 0) return 0;
  if (client instanceof RespConnection) return writeNewestResp(client, writes);
  if (isCluster(client)) {
    const bySlot = new Map<number, OnlineWrite[]>();
    for (const w of writes) {
      const slot = keySlot(w.key);
      const group = bySlot.get(slot);
      if (group) group.push(w);
      else bySlot.set(slot, [w]);
    }
    const calls: ScriptCall[] = [];
    for (const group of bySlot.values()) {
      for (let i = 0; i < group.length; i += ROWS_PER_CALL)
        calls.push(callArgs(group, i, Math.min(i + ROWS_PER_CALL, group.length)));
    }
    return (await evalEach(client, SCRIPT, calls)).reduce<number>((a, b) => a + Number(b), 0);
  }
  ensureDefined(client);
  const pipeline = client.pipeline() as ChainableCommander & WriteNewestCommand;
  for (let i = 0; i < writes.length; i += ROWS_PER_CALL) {
    pipeline.troveWriteNewest(...callArgs(writes, i, Math.min(i + ROWS_PER_CALL, writes.length)));
  }
  const results = (await pipeline.exec()) ?? [];
  let written = 0;
  for (const [err, n] of results) {
    if (err) throw err;
    written += Number(n);
  }
  return written;
}
