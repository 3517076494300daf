/**
 * Rows for the newest-wins write script, encoded into RESP script calls as they are added: no
 * object per row, and each value is copied once, from wherever it was encoded into the call. A
 * finished batch is a list of self-contained calls that can be sent, and re-sent, as they are.
 */
import { RespWriter, respArgs } from './resp/resp-writer.ts';
import type { WriteBatch } from './write-newest.ts';
import { ROWS_PER_CALL, WRITE_NEWEST_SHA } from './write-newest-script.ts';

const EVALSHA_HEAD = respArgs('EVALSHA', WRITE_NEWEST_SHA);

export class NewestWriteBatch implements WriteBatch {
  /** Finished script calls, each a whole RESP command. */
  readonly calls: Buffer[] = [];
  /** Rows added so far. */
  rows = 0;
  private readonly keys = new RespWriter();
  private readonly args = new RespWriter();
  private callRows = 0;
  private field = '';
  private fieldBytes: Buffer = Buffer.alloc(0);
  /** Field → type signature of the rows of the call under way. */
  private readonly callTypes = new Map<string, string>();

  /**
   * Adds a row: the entity hash, the view's field and type signature (`tieTypes`), the encoded
   * value (copied here).
   */
  add(key: string, field: string, tieTypes: string, value: Uint8Array): void {
    // Rows of one view share their field: it is encoded once per run of equal fields, and the
    // call lists each field's type signature once, after its rows.
    if (field !== this.field || this.callRows === 0) {
      this.field = field;
      this.fieldBytes = respArgs(field);
      this.callTypes.set(field, tieTypes);
    }
    this.keys.string(key);
    this.args.raw(this.fieldBytes).bytes(value);
    this.rows++;
    if (++this.callRows === ROWS_PER_CALL) this.seal();
  }

  /** Closes the call under way; `calls` then holds every row added. */
  finish(): Buffer[] {
    if (this.callRows > 0) this.seal();
    return this.calls;
  }

  private seal(): void {
    const n = this.callRows;
    const head = new RespWriter()
      .begin(3 + 3 * n + 2 * this.callTypes.size)
      .raw(EVALSHA_HEAD)
      .string(String(n))
      .take();
    for (const [field, tieTypes] of this.callTypes) this.args.string(field).string(tieTypes);
    this.calls.push(Buffer.concat([head, this.keys.take(), this.args.take()]));
    this.callTypes.clear();
    this.callRows = 0;
  }
}
