/**
 * A ring of byte records in a SharedArrayBuffer, written by one thread and read by one other: the
 * online transform worker's channel. Unlike `postMessage`, handing over a record copies its bytes
 * and bumps a counter, with no structured clone and no message event; the reader sleeps on the
 * counter with `Atomics.wait` (the worker) or `Atomics.waitAsync` (the server).
 *
 * Layout: four Int32 cells (write position, read position, records written, unused), then the
 * data. A record is its length (Int32) and its bytes, padded to 4; a length of -1 says the rest
 * of the data area is unused and the next record starts at 0. One position is always left free,
 * so equal positions mean empty.
 */

const HEAD = 0;
const TAIL = 1;
const SEQ = 2;
const HEADER_BYTES = 16;
const WRAP = -1;

const pad4 = (n: number): number => (n + 3) & ~3;

/** `Atomics.waitAsync` (ES2024, in Node since 16), which the project's TypeScript lib does not declare. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

export class SharedRing {
  private readonly cells: Int32Array;
  private readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly capacity: number;

  /** A new ring of `capacity` data bytes (a multiple of 4), or the ring another thread made. */
  constructor(bufferOrCapacity: SharedArrayBuffer | number) {
    const buffer =
      typeof bufferOrCapacity === 'number'
        ? new SharedArrayBuffer(HEADER_BYTES + pad4(bufferOrCapacity))
        : bufferOrCapacity;
    this.cells = new Int32Array(buffer, 0, 4);
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.view = new DataView(buffer, HEADER_BYTES, this.capacity);
  }

  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  /** The largest record worth trying: bigger ones go another way. */
  get maxRecord(): number {
    return (this.capacity >> 1) - 4;
  }

  /** Records written so far (wrapping at 2^31): what a reader waits on. */
  written(): number {
    return Atomics.load(this.cells, SEQ);
  }

  /**
   * Writes `bytes` as one record and wakes a waiting reader; false, writing nothing, when there is
   * not room for it now.
   */
  put(bytes: Uint8Array): boolean {
    const need = 4 + pad4(bytes.length);
    const head = Atomics.load(this.cells, HEAD);
    const tail = Atomics.load(this.cells, TAIL);
    let at: number;
    if (head >= tail) {
      const room = this.capacity - head;
      // Ending exactly at the end wraps the position to 0, which must not become the read position.
      if (need < room || (need === room && tail > 0)) at = head;
      else if (need < tail) {
        this.view.setInt32(head, WRAP, true);
        at = 0;
      } else return false;
    } else if (need < tail - head) at = head;
    else return false;
    this.view.setInt32(at, bytes.length, true);
    this.data.set(bytes, at + 4);
    const next = at + need;
    Atomics.store(this.cells, HEAD, next === this.capacity ? 0 : next);
    Atomics.add(this.cells, SEQ, 1);
    Atomics.notify(this.cells, SEQ);
    return true;
  }

  /**
   * The next record as a view into the ring (valid until `release`), or undefined when none is
   * waiting.
   */
  peek(): Uint8Array | undefined {
    const head = Atomics.load(this.cells, HEAD);
    let tail = Atomics.load(this.cells, TAIL);
    if (tail === head) return undefined;
    let length = this.view.getInt32(tail, true);
    if (length === WRAP) {
      tail = 0;
      length = this.view.getInt32(0, true);
    }
    return this.data.subarray(tail + 4, tail + 4 + length);
  }

  /** Frees the record `peek` returned, for the writer to reuse. */
  release(record: Uint8Array): void {
    const next = record.byteOffset - this.data.byteOffset + pad4(record.length);
    Atomics.store(this.cells, TAIL, next === this.capacity ? 0 : next);
  }

  /**
   * Sleeps until a record is written after `seen` (a value of `written()`), or `timeoutMs` passes;
   * blocks the thread, so only the worker calls it.
   */
  waitSync(seen: number, timeoutMs: number): void {
    Atomics.wait(this.cells, SEQ, seen, timeoutMs);
  }

  /** Resolves when a record is written after `seen`, or `wake` is called; the thread goes on meanwhile. */
  waitAsync(seen: number): Promise<unknown> | undefined {
    const waiting = waitAsync(this.cells, SEQ, seen);
    return waiting.async ? waiting.value : undefined;
  }

  /** Wakes this thread's own `waitAsync` on a ring no longer used, so it lets go of the buffer. */
  wake(): void {
    Atomics.add(this.cells, SEQ, 1);
    Atomics.notify(this.cells, SEQ);
  }
}
