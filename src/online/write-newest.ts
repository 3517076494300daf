/**
 * The one write path of the online store: a Lua script that, for a whole batch of rows, keeps a
 * row only if its (event time, created time) is at least the stored one. Check and write happen
 * inside Redis in one step, so racing writers cannot replace a newer row with an older one. A
 * stored value whose header does not parse is replaced.
 */
import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { keySlot } from './key-slot.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import { RespConnection } from './resp/resp-connection.ts';
import { RespError } from './resp/resp-reply.ts';
import type { RespWriter } from './resp/resp-writer.ts';

// Headers are compared as four 8-digit hex chunks: exact in Lua's doubles, and independent of
// the locale Redis compares strings with.
const WRITE_NEWEST_LUA = `#!lua flags=allow-cross-slot-keys
local function newer(new, old)
  if string.byte(old, 1) ~= string.byte(new, 1) then return true end
  for off = 2, 26, 8 do
    local a = tonumber(string.sub(new, off, off + 7), 16)
    local b = tonumber(string.sub(old, off, off + 7), 16)
    if b == nil or a == nil then return true end
    if a ~= b then return a > b end
  end
  return true
end
local n = 0
for i = 1, #KEYS do
  local field = ARGV[2 * i - 1]
  local value = ARGV[2 * i]
  local old = redis.call('HGET', KEYS[i], field)
  if (not old) or newer(value, old) then
    redis.call('HSET', KEYS[i], field, value)
    n = n + 1
  end
end
return n
`;

const COMMAND = 'troveWriteNewest';
const SCRIPT_SHA = createHash('sha1').update(WRITE_NEWEST_LUA).digest('hex');
/** Rows per script call: large enough to amortize the call, small enough not to stall Redis. */
export const ROWS_PER_CALL = 500;

/** One row to write: an entity hash, the view's field, the encoded value. */
export interface OnlineWrite {
  key: string;
  field: string;
  value: Buffer;
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
  return args;
}

/** RESP of one bulk string argument. */
function respArg(text: string): Buffer {
  return Buffer.from(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
}

const EVALSHA_HEAD = Buffer.concat([respArg('EVALSHA'), respArg(SCRIPT_SHA)]);

/** Encodes the script calls for `writes[from..to)`, ROWS_PER_CALL rows each. */
function encodeCalls(w: RespWriter, writes: readonly OnlineWrite[], calls: readonly number[]): void {
  let field = '';
  let fieldBytes: Buffer = Buffer.alloc(0);
  for (const from of calls) {
    const to = Math.min(from + ROWS_PER_CALL, writes.length);
    const n = to - from;
    w.begin(3 + 3 * n)
      .raw(EVALSHA_HEAD)
      .string(String(n));
    for (let i = from; i < to; i++) w.string(writes[i]!.key);
    for (let i = from; i < to; i++) {
      const row = writes[i]!;
      // Rows of one view share their field: encode it once per run of equal fields.
      if (row.field !== field) {
        field = row.field;
        fieldBytes = respArg(field);
      }
      w.raw(fieldBytes).bytes(row.value);
    }
  }
}

/**
 * The standalone path: every call goes out in one write on the store's own connection. A Redis
 * that does not know the script yet (a new or restarted server) gets it loaded, and the calls it
 * refused are sent again; they did nothing the first time.
 */
async function writeNewestResp(connection: RespConnection, writes: readonly OnlineWrite[]): Promise<number> {
  let calls: number[] = [];
  for (let i = 0; i < writes.length; i += ROWS_PER_CALL) calls.push(i);
  let written = 0;
  for (let attempt = 0; calls.length > 0; attempt++) {
    const replies = await connection.batch(calls.length, (w) => encodeCalls(w, writes, calls));
    const refused: number[] = [];
    replies.forEach((reply, i) => {
      if (typeof reply === 'number') written += reply;
      else if (reply instanceof RespError && reply.message.startsWith('NOSCRIPT') && attempt === 0)
        refused.push(calls[i]!);
      else throw reply instanceof RespError ? reply : new RespError(`unexpected reply ${String(reply)}`);
    });
    if (refused.length > 0) await connection.send(['SCRIPT', 'LOAD', WRITE_NEWEST_LUA]);
    calls = refused;
  }
  return written;
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
  ensureDefined(client);
  if (isCluster(client)) {
    const bySlot = new Map<number, OnlineWrite[]>();
    for (const w of writes) {
      const slot = keySlot(w.key);
      const group = bySlot.get(slot);
      if (group) group.push(w);
      else bySlot.set(slot, [w]);
    }
    const calls: Promise<number>[] = [];
    const scripted = client as unknown as WriteNewestCommand;
    for (const group of bySlot.values()) {
      for (let i = 0; i < group.length; i += ROWS_PER_CALL) {
        calls.push(
          scripted.troveWriteNewest(...callArgs(group, i, Math.min(i + ROWS_PER_CALL, group.length))),
        );
      }
    }
    return (await Promise.all(calls)).reduce((a, b) => a + b, 0);
  }
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
