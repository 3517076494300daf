/**
 * kill -9 of a materialization of 1M offline rows (200k entities) at seeded random points. Each
 * trial starts from an empty online store, kills the materializing process, looks at what it left
 * (the watermark must not cover rows that were not written), restarts it once the dead holder's
 * lock has lapsed, lets it finish, and compares the online state and watermarks with a clean run's.
 * A private redis-server holds only the drill's keys, so its key count shows when writing starts.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { OnlineStore } from '../src/online/online-store.ts';
import { KILL_END, KILL_START, writeKillData } from '../tests/materialize/kill-fixture.ts';
import { openStore } from '../tests/online/online-fixture.ts';
import { check, type Drill, type DrillCheck } from './drill.ts';
import { diffStates, type OnlineState, readOnlineState, regressedValues } from './support/online-state.ts';
import { RedisServerProcess } from './support/redis-server-process.ts';
import { type SeededRandom, seededRandom } from './support/seeded-random.ts';
import { SpawnedProcess } from './support/spawned-process.ts';

const CHILD = path.resolve(import.meta.dirname, '..', 'tests', 'materialize', 'materialize-child.ts');
const VIEWS = ['big'];
const LOCK_TTL_MS = 1500;
const RUN_TIMEOUT_MS = 120_000;

/** The materialization (tests/materialize/materialize-child.ts) as its own process. */
function startMaterializer(redisUrl: string, dir: string, prefix: string): SpawnedProcess {
  return SpawnedProcess.node(
    CHILD,
    [JSON.stringify({ dir, prefix, start: KILL_START, end: KILL_END, lockTtlMs: LOCK_TTL_MS })],
    { env: { REDIS_URL: redisUrl } },
  );
}

/** `count` points, one drawn in each of `count` equal slices of [from, to). */
function stratified(random: SeededRandom, count: number, from: number, to: number): number[] {
  const width = (to - from) / count;
  return Array.from({ length: count }, (_, i) => Math.round(from + width * (i + random.next())));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A kill point: ms after the victim started, or after its first value reached Redis. */
interface KillPoint {
  ms: number;
  from: 'start' | 'first write';
}

interface Trial {
  killAtMs: number;
  /** Share of the clean state's values present when the process died. */
  writtenAtKill: number;
  finishedBeforeKill: boolean;
  watermarkAtKill: boolean;
  /** The watermark was set although some value was missing or wrong: it ran ahead of the data. */
  watermarkAhead: boolean;
  wrongAtKill: number;
  restartExit: number | null;
  lost: number;
  stale: number;
  extra: number;
  regressed: number;
  watermarkDiffs: number;
}

export const drill: Drill = {
  name: 'materializer-killed',
  description:
    'kill -9 a materialization of 1M rows at seeded random points; each restart reaches the clean state and watermark, which never ran ahead of the data',
  timeLimitSeconds: 600,
  async run(ctx) {
    const random = seededRandom();
    const kills = ctx.quick ? 3 : 20;
    ctx.log(`seed ${random.seed} (DRILL_SEED=${random.seed} repeats these kill points)`);
    const base = `drill-materializer-killed-${randomUUID().slice(0, 8)}`;
    const stores: OnlineStore[] = [];
    const redis = await RedisServerProcess.start();
    const open = (prefix: string) => {
      const store = openStore(prefix, { redis: redis.url });
      stores.push(store);
      return store;
    };
    const running: SpawnedProcess[] = [];
    try {
      let t = performance.now();
      await writeKillData(path.join(ctx.workDir, 'offline'));
      ctx.log(`wrote 1M offline rows in ${Math.round(performance.now() - t)} ms`);

      // The clean run, as its own process and timed, gives the expected state and the span to kill in.
      const cleanStore = open(`${base}-clean`);
      t = performance.now();
      const cleanRun = startMaterializer(redis.url, ctx.workDir, `${base}-clean`);
      running.push(cleanRun);
      // Past the lock key, keys appear once values are written.
      // The last growth of the key count ends the stretch: values, then the watermark. Exiting
      // after it takes a while, and kill points there would all land after the writing.
      let writingFrom: number | undefined;
      let writingUntil = 0;
      let keys = 0;
      while (cleanRun.running) {
        const now = await cleanStore.client.dbsize();
        if (writingFrom === undefined && now > 1) writingFrom = performance.now() - t;
        if (now !== keys) writingUntil = performance.now() - t;
        keys = now;
        await sleep(20);
      }
      const cleanExit = await cleanRun.finish(RUN_TIMEOUT_MS);
      const cleanMs = performance.now() - t;
      writingFrom ??= 0;
      if (cleanExit.code !== 0) throw new Error(`the clean run failed: ${cleanRun.output}`);
      const expected = await readOnlineState(cleanStore, VIEWS);
      const expectedValues = [...expected.values.values()].reduce((n, f) => n + Object.keys(f).length, 0);
      ctx.log(
        `clean run: ${expectedValues} values in ${Math.round(cleanMs)} ms, writing from ${Math.round(writingFrom)} to ${Math.round(writingUntil)} ms`,
      );
      await cleanStore.teardown();

      // Half the points anywhere in the run (start-up, reading, writing, watermark), half in the
      // stretch where values are written and the watermark moves, timed from the victim's own
      // first write (start-up time varies with the machine's load).
      const anywhere = Math.ceil(kills / 2);
      const killAt: KillPoint[] = [
        ...stratified(random, anywhere, 0, cleanMs).map((ms) => ({ ms, from: 'start' as const })),
        ...stratified(random, kills - anywhere, 0, Math.max(writingUntil - writingFrom, 1)).map((ms) => ({
          ms,
          from: 'first write' as const,
        })),
      ];
      const described = killAt.map((k) => `${k.ms}${k.from === 'start' ? '' : '+w'}`);
      ctx.log(`kill points (ms after start, +w: after the first write): ${described.join(', ')}`);
      const trials: Trial[] = [];
      for (const [i, { ms, from }] of killAt.entries()) {
        const prefix = `${base}-k${i}`;
        const store = open(prefix);
        const victim = startMaterializer(redis.url, ctx.workDir, prefix);
        running.push(victim);
        // Only this trial's keys live in the private Redis: past the lock key, values are in.
        if (from === 'first write')
          while (victim.running && (await store.client.dbsize()) < 2) await sleep(5);
        await sleep(ms);
        const finishedBeforeKill = !victim.running;
        await victim.kill();
        const atKill = await readOnlineState(store, VIEWS);
        const killDiff = diffStates(expected, atKill);
        const watermarkAtKill = Object.keys(atKill.watermarks.get('big') ?? {}).length > 0;
        const incomplete = killDiff.lost + killDiff.stale + killDiff.extra > 0;
        // The dead holder's lock lapses on its own.
        await sleep(LOCK_TTL_MS + 200);
        const restart = startMaterializer(redis.url, ctx.workDir, prefix);
        running.push(restart);
        const exit = await restart.finish(RUN_TIMEOUT_MS);
        if (exit.code !== 0) ctx.log(`restart ${i} exited ${exit.code}: ${restart.output.slice(-500)}`);
        const final: OnlineState = await readOnlineState(store, VIEWS);
        const diff = diffStates(expected, final);
        const trial: Trial = {
          killAtMs: ms,
          writtenAtKill: (killDiff.expected - killDiff.lost) / killDiff.expected,
          finishedBeforeKill,
          watermarkAtKill,
          watermarkAhead: watermarkAtKill && incomplete,
          wrongAtKill: killDiff.stale + killDiff.extra,
          restartExit: exit.code,
          lost: diff.lost,
          stale: diff.stale,
          extra: diff.extra,
          regressed: regressedValues(atKill, final),
          watermarkDiffs: diff.watermarkDiffs.length,
        };
        trials.push(trial);
        ctx.log(
          `kill ${i + 1}/${kills} at ${described[i]} ms: ${(trial.writtenAtKill * 100).toFixed(1)}% written, watermark ${watermarkAtKill ? 'set' : 'unset'}${finishedBeforeKill ? ' (had finished)' : ''}; after restart ${diff.lost} lost, ${diff.stale} stale, ${trial.regressed} regressed`,
        );
        await store.teardown();
      }

      const sum = (f: (t: Trial) => number) => trials.reduce((n, t) => n + f(t), 0);
      const lost = sum((t) => t.lost);
      const stale = sum((t) => t.stale + t.extra);
      const regressed = sum((t) => t.regressed);
      const midRun = trials.filter(
        (t) => !t.finishedBeforeKill && t.writtenAtKill > 0 && t.writtenAtKill < 1,
      );
      const finished = trials.filter((t) => t.finishedBeforeKill).length;
      const checks: DrillCheck[] = [
        check(
          'every restart after a kill finished cleanly',
          trials.every((t) => t.restartExit === 0),
          `${trials.filter((t) => t.restartExit === 0).length}/${trials.length} exited 0`,
        ),
        check(
          'after each restart the online state equals the clean run’s',
          lost === 0 && stale === 0 && regressed === 0,
          `${lost} lost, ${stale} stale, ${regressed} regressed over ${trials.length} × ${expectedValues} values`,
        ),
        check(
          'after each restart the watermarks equal the clean run’s',
          sum((t) => t.watermarkDiffs) === 0,
          `${sum((t) => t.watermarkDiffs)} of ${trials.length} differ`,
        ),
        check(
          'at no kill point did the watermark run ahead of the written data',
          trials.every((t) => !t.watermarkAhead),
          `${trials.filter((t) => t.watermarkAhead).length} of ${trials.length} kill points; watermark set at ${trials.filter((t) => t.watermarkAtKill).length}`,
        ),
        check(
          'no value written before a kill was wrong',
          sum((t) => t.wrongAtKill) === 0,
          `${sum((t) => t.wrongAtKill)} values differ from the clean run's`,
        ),
        check(
          'kill points landed in the middle of writing',
          midRun.length >= Math.ceil(kills / 4),
          `${midRun.length} of ${kills} with part of the values written`,
        ),
      ];
      return {
        checks,
        figures: {
          seed: random.seed,
          kills,
          'kill points (ms; +w after the first write)': described.join(' '),
          'written at kill (%)': trials.map((t) => Math.round(t.writtenAtKill * 100)).join(' '),
          'victims done before their kill': finished,
          'clean run (ms)': Math.round(cleanMs),
          'writing from (ms)': Math.round(writingFrom),
          'values per run': expectedValues,
          lost,
          stale,
          regressed,
        },
      };
    } finally {
      for (const p of running) await p.kill();
      for (const s of stores) await s.close();
      await redis.stop();
    }
  },
};
