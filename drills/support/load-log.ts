/**
 * What a load generator saw, request by request: kind, start and end (ms on the drill process's
 * performance clock), HTTP status and outcome. Kept in columns of typed arrays, so a ten-minute
 * soak's half a million records cost the drill process little memory and garbage collection.
 */
import { percentile } from '../../bench/online-bench-common.ts';

/** The outcome of a request answered 200 with the expected content. */
export const OK = 'ok';
/** A 503 with the JSON error body `{"error": {"code": "STORE_UNAVAILABLE", "message"}}`. */
export const UNAVAILABLE = 'unavailable';

export interface LoadRecord {
  kind: string;
  start: number;
  end: number;
  /** 0 when no HTTP answer came (network error, or the drill's own abort). */
  status: number;
  /** OK, UNAVAILABLE, or what was wrong. */
  outcome: string;
}

/** How an answer is judged: a 200 by `check`, a 503 by its error body, anything else is wrong. */
export function outcomeOf(status: number, text: string, check: (text: string) => string | undefined): string {
  if (status === 200) {
    const problem = check(text);
    return problem === undefined ? OK : `wrong answer: ${problem}`;
  }
  if (status === 503) {
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (body.error?.code === 'STORE_UNAVAILABLE' && typeof body.error.message === 'string')
        return UNAVAILABLE;
    } catch {
      // described below
    }
    return `503 without the JSON error body: ${text.slice(0, 160)}`;
  }
  return `${status}: ${text.slice(0, 160)}`;
}

export class LoadLog {
  private starts = new Float64Array(1 << 14);
  private ends = new Float64Array(1 << 14);
  private statuses = new Uint16Array(1 << 14);
  private kindIds = new Uint8Array(1 << 14);
  private readonly kinds: string[] = [];
  /** Outcomes other than OK, by record index (few). */
  private readonly outcomes = new Map<number, string>();
  size = 0;

  add(kind: string, start: number, end: number, status: number, outcome: string): void {
    if (this.size === this.starts.length) this.grow();
    let k = this.kinds.indexOf(kind);
    if (k < 0) k = this.kinds.push(kind) - 1;
    const i = this.size++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.statuses[i] = status;
    this.kindIds[i] = k;
    if (outcome !== OK) this.outcomes.set(i, outcome);
  }

  private grow(): void {
    const n = this.starts.length * 2;
    const copy = <T extends Float64Array | Uint16Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.starts = copy(this.starts, (m) => new Float64Array(m));
    this.ends = copy(this.ends, (m) => new Float64Array(m));
    this.statuses = copy(this.statuses, (m) => new Uint16Array(m));
    this.kindIds = copy(this.kindIds, (m) => new Uint8Array(m));
  }

  record(i: number): LoadRecord {
    return {
      kind: this.kinds[this.kindIds[i]!]!,
      start: this.starts[i]!,
      end: this.ends[i]!,
      status: this.statuses[i]!,
      outcome: this.outcomes.get(i) ?? OK,
    };
  }

  /** Every record not OK, in order of start. */
  failures(): LoadRecord[] {
    return [...this.outcomes.keys()].map((i) => this.record(i)).sort((a, b) => a.start - b.start);
  }

  /** How many requests started in [from, to). */
  countStartedIn(from: number, to: number): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.starts[i]! >= from && this.starts[i]! < to) n++;
    return n;
  }

  /** Records started in [from, to), in order of start. */
  startedIn(from: number, to: number): LoadRecord[] {
    const out: LoadRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.starts[i]!;
      if (s >= from && s < to) out.push(this.record(i));
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /** The request that took longest from start to end (undefined when there was none). */
  slowest(): LoadRecord | undefined {
    let max = -1;
    let at = -1;
    for (let i = 0; i < this.size; i++) {
      const ms = this.ends[i]! - this.starts[i]!;
      if (ms > max) {
        max = ms;
        at = i;
      }
    }
    return at < 0 ? undefined : this.record(at);
  }

  /** Latency percentiles (ms) of requests (of `kind`, or all) started in [from, to). */
  latency(from: number, to: number, ps: readonly number[], kind?: string): number[] {
    const k = kind === undefined ? -1 : this.kinds.indexOf(kind);
    const all: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.starts[i]!;
      if (s >= from && s < to && (k < 0 || this.kindIds[i] === k)) all.push(this.ends[i]! - s);
    }
    all.sort((a, b) => a - b);
    return ps.map((p) => percentile(all, p));
  }

  /** Requests of each kind. */
  countByKind(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < this.size; i++) {
      const kind = this.kinds[this.kindIds[i]!]!;
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  }

  /** Counts of outcomes (OK included), for reports. */
  outcomeCounts(): Record<string, number> {
    const counts: Record<string, number> = { [OK]: this.size - this.outcomes.size };
    for (const o of this.outcomes.values()) counts[o] = (counts[o] ?? 0) + 1;
    return counts;
  }
}
