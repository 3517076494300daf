/**
 * Redis stalled (SIGSTOP: its sockets stay open, nothing answers) for 5 s under steady online reads and pushes,
 * then resumed. Every request must answer within the server's store deadline (503 while stalled),
 * the API's memory must stay bounded while requests keep arriving at the stalled store, and service
 * must resume with correct values within 2 s of SIGCONT.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { check, type Drill, type DrillContext, type DrillResult } from './drill.ts';
import { analyseOutage, describeSlowest, loadFigures, outageChecks } from './support/outage-analysis.ts';
import { runStoreFault } from './support/store-fault-run.ts';

const STALL_MS = 5000;
const RECOVERY_LIMIT_MS = 2000;
/** Over the store deadline: a late timer, not a second wait. */
const LATENCY_SLACK_MS = 50;
/**
 * RSS may grow while stalled by half the baseline plus this much. What is legitimately held is one
 * deadline's worth of requests (at most 200 a second here, some KiB each), the young generation of
 * the heap filling with their error objects before a scavenge, and allocator slack: a few MiB.
 * Under this load the steady-state RSS already swings by some 20-40 MiB with garbage collection,
 * so the constant is 30 MiB; what it must catch is growth with the stall's length (every request
 * or Redis command of the stall kept until Redis answers), which 1.5 × baseline bounds.
 */
const RSS_CONSTANT_MB = 30;

const round1 = (x: number) => Math.round(x * 10) / 10;

async function run(ctx: DrillContext): Promise<DrillResult> {
  const outcome = await runStoreFault(ctx, {
    drill: 'redis-stalled',
    steadyMs: ctx.quick ? 4000 : 8000,
    afterMs: ctx.quick ? 4000 : 8000,
    fault: async (redis) => {
      redis.pause();
      await sleep(STALL_MS);
      redis.resume();
    },
  });
  const { log, rss, began, warm, faultAt, clearedAt, ended } = outcome;
  // The route's deadline for a store call (serverOptionsFromConfig: twice the command timeout).
  const deadlineMs = 2 * outcome.repo.commandTimeoutMs;
  const outage = analyseOutage(log, faultAt, clearedAt);
  const slowest = describeSlowest(log, faultAt);
  const maxMs = slowest.ms;
  const limitMs = deadlineMs + LATENCY_SLACK_MS;
  const baselineMb = rss.mean(warm, faultAt);
  const peakMb = rss.peak(faultAt, ended);
  const afterMb = rss.mean(ended - 2000, ended);
  const rssLimitMb = 1.5 * baselineMb + RSS_CONSTANT_MB;
  const [p50, p99] = log.latency(warm, faultAt, [50, 99]);
  const [stallP50, stallMax] = log.latency(faultAt, clearedAt, [50, 100]);

  return {
    checks: [
      ...outageChecks(outage, began, { before: 'before the stall', during: 'while Redis was stopped' }),
      check(
        `every request answered within the store deadline (${deadlineMs} ms) + ${LATENCY_SLACK_MS} ms`,
        maxMs <= limitMs,
        `${slowest.detail}; limit ${limitMs} ms`,
      ),
      check(
        `API RSS stays under 1.5 × baseline + ${RSS_CONSTANT_MB} MiB`,
        peakMb <= rssLimitMb,
        `baseline ${round1(baselineMb)} MiB, peak ${round1(peakMb)} MiB, after ${round1(afterMb)} MiB, limit ${round1(rssLimitMb)} MiB`,
      ),
      check(
        `every request succeeds, with correct values, within ${RECOVERY_LIMIT_MS} ms of SIGCONT`,
        outage.recoveryMs <= RECOVERY_LIMIT_MS && outage.okAfterRecovery > 0,
        `recovered ${Math.round(outage.recoveryMs)} ms after SIGCONT; ${outage.okAfterRecovery} requests after, each checked value by value`,
      ),
    ],
    figures: {
      ...loadFigures(outcome, outage),
      'p50 before the stall (ms)': round1(p50!),
      'p99 before the stall (ms)': round1(p99!),
      'p50 / slowest while stalled (ms)': `${Math.round(stallP50!)} / ${Math.round(stallMax!)}`,
      'slowest request (ms)': Math.round(maxMs),
      'RSS baseline (MiB)': round1(baselineMb),
      'RSS peak (MiB)': round1(peakMb),
      'RSS after (MiB)': round1(afterMb),
    },
  };
}

export const drill: Drill = {
  name: 'redis-stalled',
  description:
    'Redis stopped (SIGSTOP) 5 s under steady reads and pushes: answers within the store deadline, bounded RSS, recovery within 2 s',
  timeLimitSeconds: 120,
  run,
};
