/**
 * Rows for a newest-wins write, encoded as they are added into one buffer of `HSETNX` commands, with
 * where each row's key and its field and value lie in it: no object per row, each value copied
 * once. The batch goes to Redis either as those inserts (rows whose field is not set yet), or as
 * script calls (write-newest-script.ts) assembled from the same bytes, for all rows or only those
 * the inserts left. A finished batch can be sent, and sent again, either way.
 */
import type { OnlineKeys } from './online-keys.ts';
import { RespWriter, respArgs } from './resp/resp-writer.ts';
import type { WriteBatch } from './write-newest.ts';
import { ROWS_PER_CALL, WRITE_NEWEST_SHA } from './write-newest-script.ts';

const HSETNX_HEAD = Buffer.from('*4\r\n$6\r\nHSETNX\r\n', 'latin1');
const EVALSHA_HEAD = respArgs('EVALSHA', WRITE_NEWEST_SHA);
/** What ends an entity hash's name after the entity text (online-keys.ts). */
const ENTITY_TAIL = Buffer.from('}', 'latin1');

export class NewestWriteBatch implements WriteBatch {
  /** Rows added so far. */
  rows = 0;
  private readonly writer = new RespWriter();
  /** The commands once finished; adding a row after that is an error. */
  private commands: Buffer | undefined;
  /** Per row: where its key starts in the commands, where its field starts, where it ends. */
  private bounds = new Int32Array(3 * 1024);
  private field = '';
  private fieldBytes: Buffer = Buffer.alloc(0);
  /** Field → type signature, for every field of the batch. */
  private readonly types = new Map<string, string>();

  /** The start of every entity hash's name, and its end, as bytes (for `addEntity`). */
  private readonly entityHead: Buffer;

  /** `keys`: the names of the entity hashes `addEntity` writes to (writing a new writer's own). */
  constructor(keys?: OnlineKeys) {
    this.entityHead = Buffer.from(keys?.entityPrefix ?? '', 'utf8');
  }

  /**
   * Adds a row: the entity hash, the view's field and type signature (`tieTypes`), the encoded
   * value (copied here).
   */
  add(key: string, field: string, tieTypes: string, value: Uint8Array): void {
    this.startRow(field, tieTypes);
    const keyAt = this.writer.length;
    this.writer.string(key);
    this.endRow(keyAt, value);
  }

  /** Adds a row as `add` does, its key being the entity hash of `entityText`, written as bytes. */
  addEntity(entityText: string, field: string, tieTypes: string, value: Uint8Array): void {
    if (this.entityHead.length === 0) throw new Error('a write batch made without keys has no entity hashes');
    this.startRow(field, tieTypes);
    const keyAt = this.writer.length;
    this.writer.joined(this.entityHead, entityText, ENTITY_TAIL);
    this.endRow(keyAt, value);
  }

  private startRow(field: string, tieTypes: string): void {
    if (this.commands) throw new Error('a write batch was added to after it was finished');
    // Rows of one view share their field: it is encoded once per run of equal fields.
    if (field !== this.field || this.rows === 0) {
      this.field = field;
      this.fieldBytes = respArgs(field);
      this.types.set(field, tieTypes);
    }
    this.writer.raw(HSETNX_HEAD);
  }

  private endRow(keyAt: number, value: Uint8Array): void {
    const w = this.writer;
    const fieldAt = w.length;
    w.raw(this.fieldBytes).bytes(value);
    let at = 3 * this.rows;
    if (at + 3 > this.bounds.length) {
      const grown = new Int32Array(this.bounds.length * 2);
      grown.set(this.bounds);
      this.bounds = grown;
    }
    const bounds = this.bounds;
    bounds[at++] = keyAt;
    bounds[at++] = fieldAt;
    bounds[at] = w.length;
    this.rows++;
  }

  /** Every row as an `HSETNX` of its key, field and value, in order, in one buffer. */
  inserts(): Buffer {
    this.commands ??= this.writer.take();
    return this.commands;
  }

  /**
   * The rows at the indexes `only` (every row when absent), in order, as script calls of up to
   * ROWS_PER_CALL rows each, each a whole RESP command.
   */
  scriptCalls(only?: ArrayLike<number>): Buffer[] {
    const commands = this.inserts();
    const bounds = this.bounds;
    const count = only ? only.length : this.rows;
    const calls: Buffer[] = [];
    const w = new RespWriter();
    for (let from = 0; from < count; from += ROWS_PER_CALL) {
      const to = Math.min(from + ROWS_PER_CALL, count);
      const n = to - from;
      w.begin(3 + 3 * n + 2 * this.types.size)
        .raw(EVALSHA_HEAD)
        .string(String(n));
      // KEYS: each row's key; then ARGV: each row's field and value; then each field's types.
      for (let i = from; i < to; i++) {
        const row = only ? only[i]! : i;
        w.range(commands, bounds[3 * row]!, bounds[3 * row + 1]!);
      }
      for (let i = from; i < to; i++) {
        const row = only ? only[i]! : i;
        w.range(commands, bounds[3 * row + 1]!, bounds[3 * row + 2]!);
      }
      // Every field of the batch, whether or not this call has its rows: the script looks up only
      // those it needs.
      for (const [field, tieTypes] of this.types) w.string(field).string(tieTypes);
      calls.push(w.take());
    }
    return calls;
  }
}
