/**
 * HTTP load from the drill process against a server, recording every request in a LoadLog:
 * closed-loop (a fixed number of callers, each sending its next request when the last answered:
 * steady concurrency, and the most a server can take) and open-loop (requests sent on a schedule
 * whatever the answers, latency counted from the scheduled time, so a slow server cannot slow the
 * load that measures it).
 */

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HttpCall, httpCall } from './http-call.ts';
import { LoadLog, outcomeOf } from './load-log.ts';

/** How long a pooled socket may sit idle before the client closes it (see the agent below). */
const IDLE_SOCKET_MS = 20_000;

/** One request of a load, with how to judge a 200 answer to it. */
export interface LoadRequest extends HttpCall {
  kind: string;
  /** undefined when a 200 answer's body is right, else what is wrong. */
  check(text: string): string | undefined;
}

export interface LoadGeneratorOptions {
  /** http://host:port of the server. */
  base: string;
  /** Sockets the client may open; open-loop requests beyond it wait for one (and that counts). */
  maxSockets: number;
  /**
   * The drill gives up on a request after this long and records it as unanswered: far beyond any
   * server deadline, so it only ever catches a hang.
   */
  abandonAfterMs?: number;
}

export class LoadGenerator {
  readonly log = new LoadLog();
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly abandonAfterMs: number;
  private inFlight = 0;

  constructor(options: LoadGeneratorOptions) {
    this.base = new URL(options.base);
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      // A socket left idle in the pool is closed by the server after its keep-alive timeout (72 s),
      // and a request sent on it as the server closes it fails with "socket hang up": the client
      // must give idle sockets up first. Node 20's agent only heeds the server's `Keep-Alive:
      // timeout` hint when it has a timeout of its own to lower, so it gets one, well below 72 s.
      timeout: IDLE_SOCKET_MS,
    });
    this.abandonAfterMs = options.abandonAfterMs ?? 30_000;
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Sends one request and records it; `scheduledAt` (default now) is where its latency starts.
   * Never rejects: whatever happens is the record's outcome.
   */
  async send(request: LoadRequest, scheduledAt = performance.now()): Promise<void> {
    this.inFlight++;
    let status = 0;
    let outcome: string;
    try {
      const answer = await httpCall(this.agent, this.base, request, AbortSignal.timeout(this.abandonAfterMs));
      status = answer.status;
      try {
        outcome = outcomeOf(answer.status, answer.text, request.check);
      } catch (err) {
        outcome = `answer could not be checked: ${(err as Error).message}`;
      }
    } catch (err) {
      const e = err as Error;
      outcome =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no answer within ${this.abandonAfterMs} ms`
          : `no answer: ${e.message}`;
    } finally {
      this.inFlight--;
    }
    this.log.add(request.kind, scheduledAt, performance.now(), status, outcome);
  }

  /** `concurrency` callers in a loop until `until()` is true. */
  async closedLoop(options: {
    concurrency: number;
    until: () => boolean;
    next: () => LoadRequest;
  }): Promise<void> {
    const caller = async () => {
      while (!options.until()) await this.send(options.next());
    };
    await Promise.all(Array.from({ length: options.concurrency }, caller));
  }

  /**
   * Sends `ratePerSecond` requests a second on a fixed schedule for `durationMs` or until `until()`
   * is true, whichever comes first, then waits for the answers. `onSecond` is called about once a
   * second (progress, RSS samples).
   */
  async openLoop(options: {
    ratePerSecond: number;
    durationMs?: number;
    until?: () => boolean;
    next: () => LoadRequest;
    onSecond?: (elapsedMs: number) => void;
  }): Promise<void> {
    const began = performance.now();
    const interval = 1000 / options.ratePerSecond;
    const total =
      options.durationMs === undefined
        ? Number.POSITIVE_INFINITY
        : Math.floor((options.durationMs / 1000) * options.ratePerSecond);
    let sent = 0;
    let nextReport = 1000;
    while (sent < total && !options.until?.()) {
      const elapsed = performance.now() - began;
      const due = Math.min(total, Math.floor(elapsed / interval) + 1);
      for (; sent < due; sent++) void this.send(options.next(), began + sent * interval);
      if (elapsed >= nextReport) {
        options.onSecond?.(elapsed);
        nextReport += 1000;
      }
      await sleep(1);
    }
    while (this.inFlight > 0) await sleep(5);
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The most requests a second a server answers: `concurrency` closed-loop callers, measured over
 * `measureMs` after `warmupMs` of warming up. The probe's own records come back for checking.
 */
export async function measureMaxThroughput(options: {
  base: string;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  next: () => LoadRequest;
}): Promise<{ perSecond: number; log: LoadLog; from: number }> {
  const probe = new LoadGenerator({ base: options.base, maxSockets: options.concurrency });
  try {
    let stop = false;
    const load = probe.closedLoop({
      concurrency: options.concurrency,
      until: () => stop,
      next: options.next,
    });
    await sleep(options.warmupMs);
    const from = performance.now();
    const before = probe.log.size;
    await sleep(options.measureMs);
    const perSecond = ((probe.log.size - before) / (performance.now() - from)) * 1000;
    stop = true;
    await load;
    return { perSecond, log: probe.log, from };
  } finally {
    probe.close();
  }
}
