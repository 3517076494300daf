/**
 * A failover drill's checks and figures from its two runs: `onlineStore.waitReplicas` 0 (the
 * default: a write counts once the master has it) and 1 (once a replica confirmed it too).
 */
import { check, type DrillCheck, type DrillContext, type DrillResult } from '../drill.ts';
import { type FailoverRun, type FailoverTopology, runFailover } from './failover-run.ts';

/** The promise under test: reads and pushes succeed again this soon after a master dies. */
const RESUME_LIMIT_MS = 15_000;

const ms = (x: number | undefined): string => (x === undefined ? 'never' : `${Math.round(x)} ms`);

function runChecks(run: FailoverRun): DrillCheck[] {
  const at = `waitReplicas ${run.waitReplicas}`;
  const checks = [
    check(
      `${at}: reads resume within ${RESUME_LIMIT_MS / 1000} s of the kill, without restarting the API`,
      run.readsResumedMs !== undefined && run.readsResumedMs <= RESUME_LIMIT_MS && run.sameServer,
      `resumed after ${ms(run.readsResumedMs)}; ${run.sameServer ? 'same API process throughout' : 'the API process is gone'}`,
    ),
    check(
      run.waitReplicas > 0
        ? `${at}: pushes resume within ${(2 * RESUME_LIMIT_MS) / 1000} s of the kill (once the killed node is back as a replica)`
        : `${at}: pushes resume within ${RESUME_LIMIT_MS / 1000} s of the kill`,
      run.writesResumedMs !== undefined &&
        run.writesResumedMs <= (run.waitReplicas > 0 ? 2 : 1) * RESUME_LIMIT_MS,
      `resumed after ${ms(run.writesResumedMs)}`,
    ),
    check(
      `${at}: every answer is the right 200 or a 503 with its error body`,
      run.wrong.length === 0,
      run.wrong.length === 0
        ? `${run.reads} reads, ${run.unavailable} answers 503 after the kill`
        : `${run.wrong.length} wrong, e.g. ${run.wrong[0]}`,
    ),
  ];
  // Without WAIT a loss is possible by design (and measured); with it, none is allowed.
  if (run.waitReplicas > 0)
    checks.push(
      check(
        `${at}: no acknowledged push is lost`,
        run.lost === 0,
        `${run.lost} of ${run.acknowledged} acknowledged pushes lost`,
      ),
    );
  return checks;
}

export async function failoverDrill(
  ctx: DrillContext,
  drill: string,
  topology: FailoverTopology,
): Promise<DrillResult> {
  const runs: FailoverRun[] = [];
  for (const waitReplicas of [0, 1]) {
    ctx.log(`onlineStore.waitReplicas: ${waitReplicas}`);
    runs.push(
      await runFailover(ctx, {
        drill,
        topology,
        waitReplicas,
        steadyMs: ctx.quick ? 2000 : 4000,
        afterMs: ctx.quick ? 1000 : 3000,
        limitMs: 45_000,
      }),
    );
  }
  const figures: Record<string, number | string> = {};
  for (const run of runs) {
    const at = `waitReplicas ${run.waitReplicas}`;
    figures[`${at}: reads resumed after (ms)`] =
      run.readsResumedMs === undefined ? 'never' : Math.round(run.readsResumedMs);
    figures[`${at}: pushes resumed after (ms)`] =
      run.writesResumedMs === undefined ? 'never' : Math.round(run.writesResumedMs);
    figures[`${at}: acknowledged pushes lost`] = `${run.lost} of ${run.acknowledged}`;
    figures[`${at}: answers 503 after the kill`] = run.unavailable;
  }
  return { checks: runs.flatMap(runChecks), figures };
}
