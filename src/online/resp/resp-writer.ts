/**
 * Encodes commands in RESP straight into one growing buffer, so a batch of commands costs one
 * buffer and one socket write rather than an object, an argument array and a string per command.
 */
const CRLF = 0x0a0d; // "\r\n" as a little-endian uint16
const STAR = 0x2a;
const DOLLAR = 0x24;

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

  /** `<prefix><n>\r\n`, digits written by hand: this runs for every argument. */
  private header(prefix: number, n: number): void {
    // At most 1 + 16 digits + 2 bytes.
    this.reserve(24);
    const buf = this.buf;
    buf[this.used++] = prefix;
    if (n < 10) buf[this.used++] = 48 + n;
    else {
      const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : Math.floor(Math.log10(n)) + 1;
      let at = this.used + digits;
      this.used = at;
      for (let v = n; v > 0; v = Math.floor(v / 10)) buf[--at] = 48 + (v % 10);
    }
    buf.writeUInt16LE(CRLF, this.used);
    this.used += 2;
  }

  /** Starts a command of `argc` arguments; exactly that many `string`/`bytes` calls follow. */
  begin(argc: number): this {
    this.header(STAR, argc);
    return this;
  }

  string(s: string): this {
    const length = s.length;
    // Keys and field names are ASCII (entity texts are percent-encoded): copy their code units by
    // hand, which beats a general UTF-8 write for short strings; anything else takes that write.
    if (length <= 256) {
      const start = this.used;
      this.header(DOLLAR, length);
      this.reserve(length + 2);
      const buf = this.buf;
      let at = this.used;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at++] = c;
      }
      if (i === length) {
        buf.writeUInt16LE(CRLF, at);
        this.used = at + 2;
        return this;
      }
      this.used = start;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.header(DOLLAR, n);
    this.reserve(n + 2);
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf.writeUInt16LE(CRLF, this.used);
    this.used += 2;
    return this;
  }

  /**
   * One bulk string: the bytes of `head`, then `text`, then the bytes of `tail`. A key under a fixed
   * prefix, written without building its string; `text` is ASCII in the hot case (entity texts
   * are), anything else takes a general copy.
   */
  joined(head: Uint8Array, text: string, tail: Uint8Array): this {
    const length = text.length;
    const start = this.used;
    this.header(DOLLAR, head.length + length + tail.length);
    this.reserve(head.length + length + tail.length + 2);
    const buf = this.buf;
    buf.set(head, this.used);
    let at = this.used + head.length;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        this.used = start;
        return this.bytes(Buffer.concat([head, Buffer.from(text, 'utf8'), tail]));
      }
      buf[at++] = c;
    }
    for (let i = 0; i < tail.length; i++) buf[at++] = tail[i]!;
    buf.writeUInt16LE(CRLF, at);
    this.used = at + 2;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.header(DOLLAR, b.length);
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

  /** Bytes `[start, end)` of `src`, already in RESP form, without a view of them per call. */
  range(src: Buffer, start: number, end: number): this {
    this.reserve(end - start);
    src.copy(this.buf, this.used, start, end);
    this.used += end - start;
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

/** String arguments in RESP, to be written later with `raw`: for parts of commands fixed in advance. */
export function respArgs(...args: readonly string[]): Buffer {
  return new RespWriter().command(args).take().subarray(`*${args.length}\r\n`.length);
}
