/**
 * Encodes commands in RESP straight into one growing buffer, so a batch of commands costs one
 * buffer and one socket write rather than an object, an argument array and a string per command.
 */
const CRLF = 0x0a0d; // "\r\n" as a little-endian uint16

export class RespWriter {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private used = 0;

  get length(): number {
    return this.used;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  private header(prefix: string, n: number): void {
    // At most 1 + 20 digits + 2 bytes.
    this.reserve(24);
    this.used += this.buf.write(`${prefix}${n}\r\n`, this.used, 'latin1');
  }

  /** Starts a command of `argc` arguments; exactly that many `string`/`bytes` calls follow. */
  begin(argc: number): this {
    this.header('*', argc);
    return this;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.header('$', n);
    this.reserve(n + 2);
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf.writeUInt16LE(CRLF, this.used);
    this.used += 2;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.header('$', b.length);
    this.reserve(b.length + 2);
    this.buf.set(b, this.used);
    this.used += b.length;
    this.buf.writeUInt16LE(CRLF, this.used);
    this.used += 2;
    return this;
  }

  /** Bytes already in RESP form (a pre-encoded run of arguments). */
  raw(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.used);
    this.used += b.length;
    return this;
  }

  /** One whole command from its arguments. */
  command(args: readonly (string | Uint8Array)[]): this {
    this.begin(args.length);
    for (const a of args) {
      if (typeof a === 'string') this.string(a);
      else this.bytes(a);
    }
    return this;
  }

  /** The bytes written so far, as a buffer of their own; the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.used);
    this.buf.copy(out, 0, 0, this.used);
    this.used = 0;
    // A batch may have grown the buffer a lot; do not keep a huge one for small commands.
    if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
    return out;
  }

  /** Drops what was written (its commands failed before they were sent). */
  clear(): void {
    this.used = 0;
  }

  /** Drops what was written after `length` bytes (a command whose encoding failed halfway). */
  truncate(length: number): void {
    this.used = Math.min(this.used, length);
  }
}
