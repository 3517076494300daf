/**
 * Reads a load log around a fault of the store (Redis killed or stalled from `faultAt` until
 * `clearedAt`): what failed before it, how the failures looked, and how long after the store was
 * back it took until every request succeeded again.
 */
import { check, type DrillCheck } from '../drill.ts';
import { type LoadLog, type LoadRecord, OK, UNAVAILABLE } from './load-log.ts';

export interface OutageReport {
  /** Every request that failed, in order of start. */
  failures: LoadRecord[];
  /** Requests that failed and had answered before the fault began (there should be none). */
  failedBeforeFault: LoadRecord[];
  /** Failures other than a 503 with the JSON error body (500s, hangs, wrong values). */
  badFailures: LoadRecord[];
  /** 503s answered. */
  unavailable: number;
  /**
   * From `clearedAt` to the start of the first request from which every request succeeded (0 when
   * nothing started after `clearedAt` failed); NaN when the failures never stopped.
   */
  recoveryMs: number;
  /** Requests that started after recovery (the evidence behind it). */
  okAfterRecovery: number;
  /** The longest a request started after `clearedAt` took: how long the first ones waited. */
  slowestAfterClearedMs: number;
}

export function analyseOutage(log: LoadLog, faultAt: number, clearedAt: number): OutageReport {
  const failures = log.failures();
  const lastFailure = failures.at(-1);
  const after = lastFailure ? log.startedIn(lastFailure.start, Number.POSITIVE_INFINITY) : [];
  const firstOk = after.find((r) => r.outcome === OK && r.start > (lastFailure?.start ?? 0));
  let recoveryMs = 0;
  if (lastFailure && lastFailure.start >= clearedAt)
    recoveryMs = firstOk ? firstOk.start - clearedAt : Number.NaN;
  const recoveredAt = clearedAt + recoveryMs;
  return {
    failures,
    failedBeforeFault: failures.filter((r) => r.end < faultAt),
    badFailures: failures.filter((r) => r.outcome !== UNAVAILABLE),
    unavailable: failures.filter((r) => r.outcome === UNAVAILABLE).length,
    recoveryMs,
    okAfterRecovery: Number.isNaN(recoveredAt)
      ? 0
      : log.startedIn(recoveredAt, Number.POSITIVE_INFINITY).length,
    slowestAfterClearedMs: log.latency(clearedAt, Number.POSITIVE_INFINITY, [100])[0] ?? Number.NaN,
  };
}

/** A few failures, for a check's detail. */
export function describeRecords(records: readonly LoadRecord[], origin: number, max = 3): string {
  return records
    .slice(0, max)
    .map((r) => `${r.kind} at +${Math.round(r.start - origin)} ms: ${r.outcome.slice(0, 200)}`)
    .join('; ');
}

/**
 * The checks every store-fault drill makes of its outage: nothing failed before the fault, the
 * fault was seen (503s), every failure was a 503 with the JSON error body, and registry reads,
 * which need no Redis, never failed. `before` and `during` word them ("while Redis was up before
 * the kill", "while Redis was down").
 */
export function outageChecks(
  outage: OutageReport,
  began: number,
  words: { before: string; during: string },
): DrillCheck[] {
  const registryFailures = outage.failures.filter((r) => r.kind === 'registry');
  return [
    check(
      `no request failed ${words.before}`,
      outage.failedBeforeFault.length === 0,
      `${outage.failedBeforeFault.length} failed; ${describeRecords(outage.failedBeforeFault, began)}`,
    ),
    check(
      `the fault was seen: requests answered 503 ${words.during}`,
      outage.unavailable > 0,
      `${outage.unavailable} answered 503 STORE_UNAVAILABLE`,
    ),
    check(
      'every failure is a 503 with the JSON error body (no 500, no hang, no wrong value)',
      outage.badFailures.length === 0,
      `${outage.badFailures.length} other failures; ${describeRecords(outage.badFailures, began)}`,
    ),
    check(
      'registry reads (no Redis needed) never failed',
      registryFailures.length === 0,
      `${registryFailures.length} failed; ${describeRecords(registryFailures, began)}`,
    ),
  ];
}

/** The slowest request, for a latency check's detail: how long, what, and when against the fault. */
export function describeSlowest(log: LoadLog, faultAt: number): { ms: number; detail: string } {
  const r = log.slowest();
  if (!r) return { ms: 0, detail: 'no requests' };
  const ms = r.end - r.start;
  return {
    ms,
    detail: `slowest ${Math.round(ms)} ms: ${r.kind} started ${Math.round(r.start - faultAt)} ms after the fault began, ${r.outcome.slice(0, 120)}`,
  };
}

/** Figures every store-fault drill reports: the load it ran and how much of it failed. */
export function loadFigures(
  run: { capacityPerSecond: number; requestsPerSecond: number; log: LoadLog },
  outage: OutageReport,
): Record<string, number> {
  return {
    'server capacity (requests/s)': Math.round(run.capacityPerSecond),
    'requests sent (per s)': run.requestsPerSecond,
    requests: run.log.size,
    'requests answered 503': outage.unavailable,
    'recovery (ms)': Math.round(outage.recoveryMs),
    'slowest request started after the store was back (ms)': Math.round(outage.slowestAfterClearedMs),
  };
}
