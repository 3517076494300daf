/**
 * Redis killed (SIGKILL) under steady online reads and pushes, kept down for 3 s, started again empty on the
 * same port and reloaded. While it is down the API must answer 503 with its JSON error body within
 * the command timeout (never a 500, never a hang); while it is up, nothing may fail; once it answers
 * again the API must serve within 2 s, without being restarted itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { check, type Drill, type DrillContext, type DrillResult } from './drill.ts';
import { seedDrivers } from './support/drill-feature-repo.ts';
import { SEEDED_DRIVERS } from './support/mixed-load.ts';
import { analyseOutage, describeSlowest, loadFigures, outageChecks } from './support/outage-analysis.ts';
import { runStoreFault } from './support/store-fault-run.ts';

const DOWN_MS = 3000;
/** The promise under test: every request succeeds again this soon after Redis answers. */
const RECOVERY_LIMIT_MS = 2000;
/**
 * A request's Redis command times out after `commandTimeoutMs`; the rest of its time is HTTP,
 * JSON and waiting for a turn of two event loops (server and load generator) on two shared cores.
 * 250 ms covers a timer firing late on a busy loop and a GC pause, without hiding a second wait
 * (a second timeout would add a whole command timeout, the route's deadline twice it).
 */
const LATENCY_SLACK_MS = 250;

const round1 = (x: number) => Math.round(x * 10) / 10;

async function run(ctx: DrillContext): Promise<DrillResult> {
  // Reads may find nothing from the kill until the reload is done: Redis keeps nothing.
  const state = { killed: false, reloadedAt: 0 };
  const outcome = await runStoreFault(ctx, {
    drill: 'redis-restart',
    steadyMs: ctx.quick ? 3000 : 6000,
    afterMs: ctx.quick ? 4000 : 8000,
    dataPresent: () => !state.killed || state.reloadedAt > 0,
    fault: async (redis) => {
      state.killed = true;
      await redis.kill();
      await sleep(DOWN_MS);
      await redis.startProcess();
    },
    afterFault: async (repo) => {
      await seedDrivers(repo, 1, SEEDED_DRIVERS);
      state.reloadedAt = performance.now();
    },
  });
  const { log, began, faultAt, clearedAt } = outcome;
  const outage = analyseOutage(log, faultAt, clearedAt);
  const slowest = describeSlowest(log, faultAt);
  const maxMs = slowest.ms;
  const limitMs = outcome.repo.commandTimeoutMs + LATENCY_SLACK_MS;
  const [p50, p99] = log.latency(outcome.warm, faultAt, [50, 99]);
  const afterReload = log.startedIn(state.reloadedAt, Number.POSITIVE_INFINITY).length;

  return {
    checks: [
      ...outageChecks(outage, began, {
        before: 'while Redis was up before the kill',
        during: 'while Redis was down',
      }),
      check(
        `every request answered within the command timeout + ${LATENCY_SLACK_MS} ms`,
        maxMs <= limitMs,
        `${slowest.detail}; limit ${limitMs} ms`,
      ),
      check(
        `every request succeeds again within ${RECOVERY_LIMIT_MS} ms of Redis answering`,
        outage.recoveryMs <= RECOVERY_LIMIT_MS && outage.okAfterRecovery > 0,
        `recovered ${Math.round(outage.recoveryMs)} ms after Redis answered; ${outage.okAfterRecovery} requests after`,
      ),
      check(
        'reads after the reload answer the reloaded values',
        afterReload > 0,
        `${afterReload} requests after the reload, each checked value by value`,
      ),
      check(
        'the API process was never restarted',
        outcome.sameServer,
        `pid ${outcome.serverPid} ${outcome.sameServer ? 'served throughout' : 'is gone'}`,
      ),
    ],
    figures: {
      ...loadFigures(outcome, outage),
      'p50 before the kill (ms)': round1(p50!),
      'p99 before the kill (ms)': round1(p99!),
      'slowest request (ms)': Math.round(maxMs),
      'Redis down (ms)': Math.round(clearedAt - faultAt),
      'reload took (ms)': Math.round(state.reloadedAt - clearedAt),
      'RSS before / peak (MiB)': `${round1(outcome.rss.mean(outcome.warm, faultAt))} / ${round1(outcome.rss.peak(faultAt, outcome.ended))}`,
    },
  };
}

export const drill: Drill = {
  name: 'redis-restart',
  description:
    'Redis killed -9 under steady reads and pushes, down 3 s, restarted empty and reloaded: 503s only while down, recovery within 2 s',
  timeLimitSeconds: 120,
  run,
};
