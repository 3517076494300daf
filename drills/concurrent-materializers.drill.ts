/**
 * Two materializers on the same views at once: pairs of `trove materialize` started together
 * (in the same and in opposite view orders), then two materializer workers cycling every second
 * over data they must rewrite each cycle. A private redis-server's MONITOR stream shows every lock
 * command and every write with the connection that sent it (see support/lock-timeline.ts): no
 * view may be written by a process that does not hold its lock, the refusals Redis saw must be the
 * ones the processes reported, and the final online state must equal one process's alone.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { OnlineStore } from '../src/online/online-store.ts';
import { onlineConfig } from '../tests/online/online-fixture.ts';
import { check, type Drill, type DrillCheck } from './drill.ts';
import { EXAMPLE_VIEWS, makeExampleRepo } from './support/example-repo.ts';
import { LockTimeline } from './support/lock-timeline.ts';
import { diffStates, type OnlineState, readOnlineState } from './support/online-state.ts';
import { RedisServerProcess } from './support/redis-server-process.ts';
import { type Exit, SpawnedProcess } from './support/spawned-process.ts';
import { spillFolders } from './support/spill-folders.ts';

const START = '2025-11-01T00:00:00Z';
const END = '2026-01-01T00:00:00Z';
const WORKER = path.resolve(import.meta.dirname, '..', 'materializer', 'main.ts');
/** The example repo's project. */
const PROJECT = 'ride_hailing';
const REFUSED = 'is being materialized by another process';
const RUN_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One JSON log line of a worker (pino). */
interface LogLine {
  msg?: string;
  view?: string;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {};
      }
    });
}

export const drill: Drill = {
  name: 'concurrent-materializers',
  description:
    'two materializers on the same views at once: the per-view lock keeps them from writing one view together, and the result equals one alone',
  timeLimitSeconds: 600,
  async run(ctx) {
    const rounds = ctx.quick ? 2 : 6;
    const workerSeconds = ctx.quick ? 25 : 60;
    const redis = await RedisServerProcess.start();
    const stores: OnlineStore[] = [];
    const running: SpawnedProcess[] = [];
    const timeline = await LockTimeline.start(redis.port);
    const base = `drill-concurrent-${randomUUID().slice(0, 8)}`;
    const env = (prefix: string) => ({ REDIS_URL: redis.url, TROVE_REDIS_KEY_PREFIX: prefix });
    const stateOf = async (prefix: string): Promise<OnlineState> => {
      const store = new OnlineStore(onlineConfig(prefix, { redis: redis.url }), PROJECT);
      stores.push(store);
      return readOnlineState(store, EXAMPLE_VIEWS);
    };
    const trove = (args: string[], prefix: string) => {
      const p = SpawnedProcess.trove([...args, '--repo', repo], { env: env(prefix), cwd: ctx.workDir });
      running.push(p);
      return p;
    };
    const repo = path.join(ctx.workDir, 'repo');
    try {
      await makeExampleRepo(
        repo,
        { rows: ctx.quick ? 100_000 : 300_000, seed: 1 },
        {
          // Every incremental run re-reads all the data, so each worker cycle rewrites every view.
          materialize: { interval: '1s', lateArrival: '400d' },
          // MONITOR makes Redis format every command, those inside scripts too, for the monitoring
          // connection: on a busy machine a pipeline's last replies then come later than the
          // default 1 s. The drill measures locking, not latency.
          onlineStore: { commandTimeoutMs: 5000 },
        },
      );
      const computed = await trove(['compute'], base).finish(RUN_TIMEOUT_MS);
      if (computed.code !== 0) throw new Error('trove compute failed');

      // One process alone: the expected state.
      const alone = trove(['materialize', START, END], `${base}-alone`);
      if ((await alone.finish(RUN_TIMEOUT_MS)).code !== 0) throw new Error(`alone: ${alone.output}`);
      const expected = await stateOf(`${base}-alone`);
      const values = [...expected.values.values()].reduce((n, f) => n + Object.keys(f).length, 0);
      ctx.log(`one process alone: ${values} values`);

      // Pairs started at the same moment, half of them naming the views in opposite orders.
      let completed = 0;
      let refusedPairs = 0;
      let otherFailures = 0;
      let pairDiffs = 0;
      let pairWatermarkDiffs = 0;
      let roundsWithoutWinner = 0;
      for (let r = 0; r < rounds; r++) {
        const prefix = `${base}-pair${r}`;
        const orders = [EXAMPLE_VIEWS, r % 2 === 0 ? EXAMPLE_VIEWS : [...EXAMPLE_VIEWS].reverse()];
        const pair = orders.map((o) => trove(['materialize', START, END, '--views', o.join(',')], prefix));
        const exits: Exit[] = await Promise.all(pair.map((p) => p.finish(RUN_TIMEOUT_MS)));
        const outcome = exits.map((e, i) =>
          e.code === 0 ? 'done' : (pair[i]?.output ?? '').includes(REFUSED) ? 'refused' : 'failed',
        );
        outcome.forEach((o, i) => {
          if (o === 'failed')
            ctx.log(`  failed: ${(pair[i]?.output ?? '').trim().split('\n').slice(-3).join(' | ')}`);
        });
        completed += outcome.filter((o) => o === 'done').length;
        refusedPairs += outcome.filter((o) => o === 'refused').length;
        otherFailures += outcome.filter((o) => o === 'failed').length;
        if (!outcome.includes('done')) roundsWithoutWinner++;
        const diff = diffStates(expected, await stateOf(prefix));
        pairDiffs += diff.lost + diff.stale + diff.extra;
        pairWatermarkDiffs += diff.watermarkDiffs.length;
        ctx.log(
          `pair ${r + 1} (${orders
            .map((o) =>
              o
                .map((v) =>
                  v
                    .split('_')
                    .map((w) => w[0])
                    .join(''),
                )
                .join(','),
            )
            .join(
              ' | ',
            )}): ${outcome.join(', ')}; ${diff.lost} lost, ${diff.stale} stale, ${diff.watermarkDiffs.length} watermarks differ`,
        );
      }

      // Two workers side by side.
      const prefix = `${base}-workers`;
      const workers = [0, 1].map(() => {
        const w = SpawnedProcess.node(WORKER, ['--repo', repo, '--health-port', '0'], {
          env: { ...env(prefix), TROVE_RECLAIM_EVERY: '0' },
          cwd: ctx.workDir,
        });
        running.push(w);
        return w;
      });
      const startedAt = Date.now();
      let bothSpilling = 0;
      while (Date.now() - startedAt < workerSeconds * 1000 && workers.every((w) => w.running)) {
        const spilling = new Set((await spillFolders()).map((f) => f.pid));
        if (workers.every((w) => spilling.has(w.pid))) bothSpilling++;
        await sleep(200);
      }
      const crashed = workers.filter((w) => !w.running).length;
      const stops = await Promise.all(workers.map((w) => w.stop(60_000)));
      const stoppedAt = Date.now();
      const logs = workers.map((w) => logLines(w.output));
      const count = (msg: string) => logs.map((l) => l.filter((x) => x.msg === msg).length);
      const done = count('materialized view');
      // A worker waits for a view the other holds; it skips one only when the wait runs out.
      const waited = count('waiting for a view another process is materializing');
      const skipped = count('view is being materialized elsewhere; skipped this time');
      const failed = count('materialization failed').map(
        (n, i) => n + (count('materialization cycle failed')[i] ?? 0),
      );
      for (const l of logs.flat()) if (l.msg?.includes('failed')) ctx.log(`  worker: ${JSON.stringify(l)}`);
      const workerState = await stateOf(prefix);
      const workerDiff = diffStates(
        { ...expected, watermarks: new Map() },
        { ...workerState, watermarks: new Map() },
      );
      let newestDiffs = 0;
      let watermarksOutside = 0;
      for (const view of EXAMPLE_VIEWS) {
        const want = expected.watermarks.get(view) ?? {};
        const got = workerState.watermarks.get(view) ?? {};
        const fingerprint = Object.keys(want).find((k) => !k.endsWith(':newest')) ?? '';
        if (got[`${fingerprint}:newest`] !== want[`${fingerprint}:newest`]) newestDiffs++;
        const mark = Number(got[fingerprint] ?? 0) / 1000;
        if (!(mark >= startedAt - 1000 && mark <= stoppedAt)) watermarksOutside++;
      }
      ctx.log(
        `workers: materialized ${done.join(' + ')} views, waited ${waited.join(' + ')} times, skipped ${skipped.join(' + ')}, failed ${failed.join(' + ')}; ${workerDiff.lost} lost, ${workerDiff.stale} stale`,
      );
      await timeline.stop();

      let writes = 0;
      let withoutLock = 0;
      let acquired = 0;
      let refusedSeen = 0;
      let handovers = 0;
      let sharedViews = 0;
      for (const [scope, s] of timeline.views) {
        writes += s.writes;
        withoutLock += s.writesWithoutLock;
        acquired += s.acquired;
        refusedSeen += s.refused;
        handovers += s.handovers;
        if (scope.startsWith(`${prefix}:`) && s.writers.size > 1) sharedViews++;
        for (const e of s.examples) ctx.log(`  write without the lock on ${scope}: ${e}`);
      }
      // Each wait starts with one refusal (its later asks count with it), whether or not it ends in a skip.
      const refusedReported = refusedPairs + waited.reduce((a, b) => a + b, 0);
      const checks: DrillCheck[] = [
        check(
          'no view was written by a process that did not hold its lock (Redis MONITOR replay)',
          withoutLock === 0 && writes > 0,
          `${withoutLock} of ${writes} write commands; ${acquired} lock acquisitions, ${handovers} handovers between processes`,
        ),
        check(
          'the lock refusals Redis saw are the ones the processes reported',
          refusedSeen === refusedReported && refusedSeen > 0,
          `${refusedSeen} seen in Redis, ${refusedReported} reported (${refusedPairs} refused commands, ${waited.join(' + ')} worker waits)`,
        ),
        check(
          'pairs started together: one completes every round, the other is refused only by the lock',
          roundsWithoutWinner === 0 && otherFailures === 0,
          `${completed} completed, ${refusedPairs} refused, ${otherFailures} failed otherwise, ${roundsWithoutWinner} of ${rounds} rounds with no winner`,
        ),
        check(
          'pairs: the online state and watermarks equal one process’s alone',
          pairDiffs === 0 && pairWatermarkDiffs === 0,
          `${pairDiffs} values and ${pairWatermarkDiffs} watermarks differ over ${rounds} rounds × ${values} values`,
        ),
        check(
          'workers: both ran throughout, stopped cleanly, and no materialization failed',
          crashed === 0 && stops.every((e) => e.code === 0) && failed.every((n) => n === 0),
          `${crashed} crashed, exits ${stops.map((e) => e.signal ?? e.code).join('/')}, ${failed.join(' + ')} failures`,
        ),
        check(
          'workers contended: each materialized views and each waited for views the other held',
          done.every((n) => n > 0) && waited.every((n) => n > 0) && sharedViews > 0,
          `materialized ${done.join(' + ')}, waited ${waited.join(' + ')}, skipped ${skipped.join(' + ')}; ${sharedViews}/${EXAMPLE_VIEWS.length} views written by both`,
        ),
        check(
          'workers: the values and newest event times equal one process’s alone, the watermarks within the run',
          workerDiff.lost + workerDiff.stale + workerDiff.extra === 0 &&
            newestDiffs === 0 &&
            watermarksOutside === 0,
          `${workerDiff.lost} lost, ${workerDiff.stale} stale, ${workerDiff.extra} extra; ${newestDiffs} newest times and ${watermarksOutside} watermarks off`,
        ),
      ];
      return {
        checks,
        figures: {
          'values per run': values,
          'pair rounds': rounds,
          'worker run (s)': workerSeconds,
          'worker views materialized': done.join(' + '),
          'worker waits (lock held elsewhere)': waited.join(' + '),
          'worker skips (wait ran out, or stopped while waiting)': skipped.join(' + '),
          'write commands seen': writes,
          'writes without the lock': withoutLock,
          'lock handovers': handovers,
          'polls with both workers spilling': bothSpilling,
          'MONITOR commands': timeline.commands,
        },
      };
    } finally {
      for (const p of running) await p.kill();
      await timeline.stop();
      for (const s of stores) await s.close();
      await redis.stop();
    }
  },
};
