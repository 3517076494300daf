/**
 * An incremental RESP2 reader for the online store's own connection: bytes go in as the socket
 * delivers them, whole replies come out in order. Bulk strings are views into the received bytes,
 * not copies. A reply split across reads is kept until enough bytes arrived to finish it, so a large
 * reply is joined once rather than re-parsed on every read.
 */
import { RespError, type RespReply } from './resp-reply.ts';

const CR = 13;
const MINUS = 45;
/** Returned by the reader when the buffer ends inside a reply. */
const INCOMPLETE = Symbol('incomplete');
type Read = RespReply | typeof INCOMPLETE;

export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

export class RespParser {
  /** Bytes received and not yet consumed. */
  private buffer: Buffer | null = null;
  /** Reads received while an incomplete reply waits for `needed` bytes. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Bytes the incomplete reply at the start of `buffer` needs at least. */
  private needed = 0;
  private offset = 0;
  /** Absolute position in the buffer that the reader needs, set when it runs out. */
  private want = 0;

  constructor(private readonly onReply: (reply: RespReply) => void) {}

  /** Counts resets, so a reset from inside `onReply` stops the push that called it. */
  private generation = 0;

  /** Forgets any partial reply (the connection it came from is gone). */
  reset(): void {
    this.generation++;
    this.buffer = null;
    this.waiting = [];
    this.waitingBytes = 0;
    this.needed = 0;
  }

  push(data: Buffer): void {
    if (this.buffer === null) this.buffer = data;
    else {
      this.waiting.push(data);
      this.waitingBytes += data.length;
      if (this.buffer.length + this.waitingBytes < this.needed) return;
      this.buffer = Buffer.concat([this.buffer, ...this.waiting], this.buffer.length + this.waitingBytes);
      this.waiting = [];
      this.waitingBytes = 0;
    }
    const buf = this.buffer;
    const generation = this.generation;
    let start = 0;
    while (start < buf.length) {
      this.offset = start;
      const reply = this.read(buf);
      if (reply === INCOMPLETE) {
        this.buffer = start === 0 ? buf : buf.subarray(start);
        this.needed = this.want - start;
        return;
      }
      start = this.offset;
      this.onReply(reply);
      if (this.generation !== generation) return;
    }
    this.buffer = null;
    this.needed = 0;
  }

  /** Position of the CR ending the line that starts at `from`, or -1 when it has not arrived. */
  private lineEnd(buf: Buffer, from: number): number {
    const cr = buf.indexOf(CR, from);
    if (cr === -1 || cr + 1 >= buf.length) {
      this.want = buf.length + 1;
      return -1;
    }
    return cr;
  }

  private integer(buf: Buffer, from: number, to: number): number {
    let i = from;
    let negative = false;
    if (buf[i] === MINUS) {
      negative = true;
      i++;
    }
    let n = 0;
    for (; i < to; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) throw new RespProtocolError(`not an integer: ${buf.toString('latin1', from, to)}`);
      n = n * 10 + d;
    }
    return negative ? -n : n;
  }

  private read(buf: Buffer): Read {
    const at = this.offset;
    if (at >= buf.length) {
      this.want = at + 1;
      return INCOMPLETE;
    }
    const type = buf[at];
    const end = this.lineEnd(buf, at + 1);
    if (end === -1) return INCOMPLETE;
    switch (type) {
      case 36 /* $ */:
        {
          const length = this.integer(buf, at + 1, end);
          if (length < 0) {
            this.offset = end + 2;
            return null;
          }
          const from = end + 2;
          if (from + length + 2 > buf.length) {
            this.want = from + length + 2;
            return INCOMPLETE;
          }
          this.offset = from + length + 2;
          return buf.subarray(from, from + length);
        }
      case 42 /* * */:
        {
          const count = this.integer(buf, at + 1, end);
          this.offset = end + 2;
          if (count < 0) return null;
          const items: RespReply[] = new Array(count);
          for (let i = 0; i < count; i++) {
            const item = this.read(buf);
            if (item === INCOMPLETE) return INCOMPLETE;
            items[i] = item;
          }
          return items;
        }
      case 58 /* : */:
        this.offset = end + 2;
        return this.integer(buf, at + 1, end);
      case 43 /* + */:
        this.offset = end + 2;
        return buf.toString('utf8', at + 1, end);
      case 45 /* - */:
        this.offset = end + 2;
        return new RespError(buf.toString('utf8', at + 1, end));
      default:
        throw new RespProtocolError(`unexpected reply type byte ${type}`);
    }
  }
}
