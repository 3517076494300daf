/**
 * The bytes online transform jobs and their answers travel as through the worker's shared rings
 * (shared-ring.ts): each value tagged with its kind, numbers as 8 bytes, strings as UTF-8. It
 * carries every value a read presents or a transform's checked output holds (null, numbers,
 * bigints, strings, booleans, bytes, dates, lists of them); anything else throws, and the batch
 * goes by `postMessage` instead.
 */
import type { TransformStep, WorkerAnswer, WorkerRequest } from './online-transform-job.ts';

const NULL = 0;
const NUMBER = 1;
const INT64 = 2;
const BIGINT = 3;
const STRING = 4;
const TRUE = 5;
const FALSE = 6;
const BYTES = 7;
const DATE = 8;
const LIST = 9;

const OUT = 0;
const ERROR = 1;

/** Thrown for a value the wire does not carry. */
export class NotOnWire extends Error {}

/** Appends values to a buffer that grows as needed; `bytes()` is a view of what was written. */
export class WireWriter {
  private buf = Buffer.allocUnsafe(4096);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private at = 0;

  reset(): this {
    this.at = 0;
    return this;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  string(s: string): void {
    this.room(4 + s.length * 3);
    const n = this.buf.write(s, this.at + 4, 'utf8');
    this.view.setUint32(this.at, n, true);
    this.at += 4 + n;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.u8(NUMBER);
        this.f64(v);
        return;
      case 'string':
        this.u8(STRING);
        this.string(v);
        return;
      case 'boolean':
        this.u8(v ? TRUE : FALSE);
        return;
      case 'bigint':
        if (BigInt.asIntN(64, v) === v) {
          this.u8(INT64);
          this.room(8);
          this.view.setBigInt64(this.at, v, true);
          this.at += 8;
        } else {
          this.u8(BIGINT);
          this.string(v.toString());
        }
        return;
      case 'undefined':
        this.u8(NULL);
        return;
      case 'object':
        if (v === null) this.u8(NULL);
        else if (Array.isArray(v)) {
          this.u8(LIST);
          this.values(v);
        } else if (v instanceof Uint8Array) {
          this.u8(BYTES);
          this.u32(v.length);
          this.room(v.length);
          this.buf.set(v, this.at);
          this.at += v.length;
        } else if (v instanceof Date) {
          this.u8(DATE);
          this.f64(v.getTime());
        } else throw new NotOnWire('an object the transform wire does not carry');
        return;
      default:
        throw new NotOnWire(`a ${typeof v} value`);
    }
  }

  values(vs: readonly unknown[]): void {
    this.u32(vs.length);
    for (let i = 0; i < vs.length; i++) this.value(vs[i]);
  }
}

/** Reads back what a WireWriter wrote, from a view that may lie in shared memory. */
export class WireReader {
  private readonly view: DataView;
  private readonly buf: Buffer;
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  u8(): number {
    return this.bytes[this.at++]!;
  }

  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  string(): string {
    const n = this.u32();
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  value(): unknown {
    const tag = this.u8();
    switch (tag) {
      case NULL:
        return null;
      case NUMBER:
        return this.f64();
      case INT64: {
        const v = this.view.getBigInt64(this.at, true);
        this.at += 8;
        return v;
      }
      case BIGINT:
        return BigInt(this.string());
      case STRING:
        return this.string();
      case TRUE:
        return true;
      case FALSE:
        return false;
      case BYTES: {
        const n = this.u32();
        // A copy, and a plain Uint8Array whatever `bytes` is: the ring's bytes are written over once released.
        const v = new Uint8Array(n);
        v.set(this.bytes.subarray(this.at, this.at + n));
        this.at += n;
        return v;
      }
      case DATE:
        return new Date(this.f64());
      case LIST:
        return this.values();
      default:
        throw new Error(`transform wire: unknown tag ${tag}`);
    }
  }

  values(): unknown[] {
    const n = this.u32();
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }
}

/** A request batch (steps not yet sent, then jobs) as bytes; throws NotOnWire for a value it cannot carry. */
export function writeRequest(w: WireWriter, request: WorkerRequest): Uint8Array {
  w.reset();
  w.u32(request.steps.length);
  for (const [n, step] of request.steps) {
    w.u32(n);
    w.string(JSON.stringify(step));
  }
  const { jobs } = request;
  w.u32(jobs.length / 4);
  for (let j = 0; j < jobs.length; j += 4) {
    w.f64(jobs[j] as number);
    w.u32(jobs[j + 1] as number);
    w.u32(jobs[j + 3] as number);
    const columns = jobs[j + 2] as Record<string, unknown[]>;
    const names = Object.keys(columns);
    w.u32(names.length);
    for (const name of names) {
      w.string(name);
      w.values(columns[name]!);
    }
  }
  return w.bytes();
}

export function readRequest(bytes: Uint8Array): WorkerRequest {
  const r = new WireReader(bytes);
  const steps: [number, TransformStep][] = [];
  for (let s = r.u32(); s > 0; s--) {
    const n = r.u32();
    steps.push([n, JSON.parse(r.string()) as TransformStep]);
  }
  const jobs: WorkerRequest['jobs'] = [];
  for (let j = r.u32(); j > 0; j--) {
    const id = r.f64();
    const step = r.u32();
    const rows = r.u32();
    const columns: Record<string, unknown[]> = {};
    for (let c = r.u32(); c > 0; c--) {
      const name = r.string();
      columns[name] = r.values();
    }
    jobs.push(id, step, columns, rows);
  }
  return { steps, jobs };
}

/** Answers as bytes; throws NotOnWire for a value it cannot carry. */
export function writeAnswers(w: WireWriter, answers: readonly WorkerAnswer[]): Uint8Array {
  w.reset();
  w.u32(answers.length);
  for (const a of answers) {
    w.f64(a.id);
    if ('out' in a) {
      w.u8(OUT);
      w.u32(a.out.length);
      for (const column of a.out) w.values(column);
    } else {
      w.u8(ERROR);
      w.string(a.error.code);
      w.string(a.error.message);
      w.u32(a.error.status);
    }
  }
  return w.bytes();
}

export function readAnswers(bytes: Uint8Array): WorkerAnswer[] {
  const r = new WireReader(bytes);
  const answers: WorkerAnswer[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const id = r.f64();
    if (r.u8() === OUT) {
      const out: unknown[][] = [];
      for (let c = r.u32(); c > 0; c--) out.push(r.values());
      answers.push({ id, out });
    } else {
      const code = r.string();
      const message = r.string();
      answers.push({ id, error: { code, message, status: r.u32() } });
    }
  }
  return answers;
}
