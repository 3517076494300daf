/**
 * `trove compute` interrupted. (a) kill -9 at seeded random times and at exact steps of the
 * partition swap (a child that SIGKILLs itself between two renames): after each kill every view
 * reads as exactly the previous compute's rows or exactly the new one's, training datasets match
 * too, and the next run completes with the new data and leaves nothing behind. (b) The offline
 * store on a small tmpfs that a larger compute fills: the command fails saying no space is left
 * and where, exits non-zero, the previous data stays complete, and after space is freed the next
 * run succeeds. Both watch DuckDB's spill folders: under the system temp folder, never in the
 * current folder, and none left once a later run has started.
 */
import { cp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FeatureStore } from '../src/feature-store.ts';
import { viewFolder } from '../src/offline/offline-layout.ts';
import { check, type Drill, type DrillCheck, type DrillContext } from './drill.ts';
import { EXAMPLE_VIEWS, makeExampleRepo, writeExampleData } from './support/example-repo.ts';
import { trainingChecksum, viewChecksum } from './support/offline-checksum.ts';
import { type SeededRandom, seededRandom } from './support/seeded-random.ts';
import { SpawnedProcess } from './support/spawned-process.ts';
import { spillFolders } from './support/spill-folders.ts';
import { TmpfsMount } from './support/tmpfs-mount.ts';

const COMPUTE_CHILD = path.join(import.meta.dirname, 'support', 'compute-child.ts');
const RUN_TIMEOUT_MS = 180_000;
/** Small enough that compute's sort spills to disk, as large views do in production. */
const SETTINGS = { offlineStore: { memoryLimit: '128MB', threads: 2 } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checksums of every view, and of a training dataset of each view's features. */
interface Snapshot {
  views: Record<string, string>;
  training: Record<string, string>;
}

async function snapshot(repo: string, entities: string, scratch: string): Promise<Snapshot> {
  const store = await FeatureStore.open(repo);
  try {
    const out: Snapshot = { views: {}, training: {} };
    for (const view of EXAMPLE_VIEWS) {
      out.views[view] = await viewChecksum(store, view);
      out.training[view] = await trainingChecksum(store, view, entities, scratch);
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Where in compute a kill landed, from what it left in the view folders. */
async function leftovers(
  repo: string,
): Promise<{ swap: number; staging: number; trash: number; lock: number }> {
  const out = { swap: 0, staging: 0, trash: 0, lock: 0 };
  for (const view of EXAMPLE_VIEWS) {
    for (const name of await readdir(viewFolder(path.join(repo, '.trove', 'offline'), view)).catch(
      () => [] as string[],
    )) {
      if (/^_swap-.*\.json$/.test(name)) out.swap++;
      else if (name.startsWith('_staging-')) out.staging++;
      else if (name.startsWith('_trash-')) out.trash++;
      else if (name === '_lock') out.lock++;
    }
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

interface ComputeRun {
  pid: number;
  code: number | null;
  output: string;
  ms: number;
  /** Polls that found a spill folder of the process under the system temp folder. */
  spilling: number;
}

/** Waits for a compute process to end, watching for its DuckDB spill folder meanwhile. */
async function watch(run: SpawnedProcess): Promise<ComputeRun> {
  let spilling = 0;
  const deadline = performance.now() + RUN_TIMEOUT_MS;
  while (run.running && performance.now() < deadline) {
    if ((await spillFolders()).some((f) => f.pid === run.pid)) spilling++;
    await sleep(50);
  }
  const exit = await run.finish(1);
  return {
    pid: run.pid,
    code: exit.code,
    output: run.output,
    ms: performance.now() - run.startedAt,
    spilling,
  };
}

/** Runs `trove compute` to the end. */
function compute(repo: string, cwd: string): Promise<ComputeRun> {
  return watch(SpawnedProcess.trove(['compute', '--repo', repo], { cwd }));
}

function sideOf(got: string, old: string, next: string): 'old' | 'new' | 'mixed' {
  return got === old ? 'old' : got === next ? 'new' : 'mixed';
}

interface KillPlan {
  /** `time`: ms after start; `staging`: ms after the view's staging folder appeared; `step`: the n-th swap step. */
  kind: 'time' | 'staging' | 'step';
  at: number;
  view?: string;
  step?: 'journal-written' | 'partition-swapped';
}

function describePlan(p: KillPlan): string {
  if (p.kind === 'time') return `${p.at} ms`;
  if (p.kind === 'staging') return `${p.view} staging+${p.at} ms`;
  return `${p.step} #${p.at}`;
}

function killPlans(random: SeededRandom, quick: boolean, computeMs: number): KillPlan[] {
  const timed = quick ? 0 : 3;
  const plans: KillPlan[] = Array.from({ length: timed }, (_, i) => ({
    kind: 'time' as const,
    at: Math.round((computeMs * (i + random.next())) / timed),
  }));
  for (let i = 0; i < (quick ? 1 : 2); i++) {
    const view = EXAMPLE_VIEWS[Math.floor(random.next() * EXAMPLE_VIEWS.length)];
    // Staging one view takes a few hundred ms on a quiet machine: a later kill would land after it.
    plans.push({ kind: 'staging', view, at: Math.round(random.next() * 250) });
  }
  plans.push({ kind: 'step', step: 'journal-written', at: 1 + Math.floor(random.next() * 3) });
  if (!quick) {
    // 30 dates per view: anywhere among the renames of all three views.
    plans.push({ kind: 'step', step: 'partition-swapped', at: 1 + Math.floor(random.next() * 90) });
    plans.push({ kind: 'step', step: 'partition-swapped', at: 1 + Math.floor(random.next() * 90) });
  }
  return plans;
}

/** Starts a compute and kills it -9 as the plan says; resolves once it is gone. */
async function killCompute(repo: string, cwd: string, plan: KillPlan): Promise<SpawnedProcess> {
  if (plan.kind === 'step') {
    const child = SpawnedProcess.node(COMPUTE_CHILD, [repo, plan.step ?? '', String(plan.at)], { cwd });
    await child.finish(RUN_TIMEOUT_MS);
    return child;
  }
  const victim = SpawnedProcess.trove(['compute', '--repo', repo], { cwd });
  if (plan.kind === 'staging') {
    const folder = viewFolder(path.join(repo, '.trove', 'offline'), plan.view ?? '');
    const staging = async () =>
      (await readdir(folder).catch(() => [])).some((n) => n.startsWith('_staging-'));
    while (victim.running && !(await staging())) await sleep(10);
  }
  await sleep(plan.at);
  await victim.kill();
  return victim;
}

/** What both parts of the drill share: sizes, scratch paths, and where results go. */
interface Part {
  ctx: DrillContext;
  /** Source rows of the new data (the old data of part (b) is smaller). */
  rows: number;
  scratch: string;
  /** The entity table of every training dataset, fixed for the whole drill. */
  entities: string;
  checks: DrillCheck[];
  figures: Record<string, number | string>;
}

async function killedComputes(part: Part, random: SeededRandom): Promise<Snapshot> {
  const { ctx, rows, scratch, entities, checks, figures } = part;
  const repo = path.join(ctx.workDir, 'repo');
  await makeExampleRepo(repo, { rows, seed: 1 }, SETTINGS);
  await cp(path.join(repo, 'data', 'training_rows.parquet'), entities);
  await writeExampleData(path.join(repo, 'data-b'), { rows, seed: 2 });
  let current: 'a' | 'b' = 'a';
  const useData = async (which: 'a' | 'b') => {
    if (which === current) return;
    await rename(path.join(repo, 'data'), path.join(repo, `data-${current}`));
    await rename(path.join(repo, `data-${which}`), path.join(repo, 'data'));
    current = which;
  };

  const first = await compute(repo, ctx.workDir);
  if (first.code !== 0) throw new Error(`the first compute failed: ${first.output}`);
  const expected = { a: await snapshot(repo, entities, scratch), b: undefined as Snapshot | undefined };
  await useData('b');
  const second = await compute(repo, ctx.workDir);
  if (second.code !== 0) throw new Error(`the second compute failed: ${second.output}`);
  expected.b = await snapshot(repo, entities, scratch);
  const b = expected.b;
  ctx.log(`clean computes of ${rows} source rows: ${Math.round(first.ms)} ms, ${Math.round(second.ms)} ms`);
  const distinct = EXAMPLE_VIEWS.filter((v) => expected.a.views[v] !== b.views[v]).length;

  const plans = killPlans(random, ctx.quick, second.ms);
  ctx.log(`kills: ${plans.map(describePlan).join(', ')}`);
  let mixedViews = 0;
  let mixedTraining = 0;
  let incompleteAfter = 0;
  let failedAfter = 0;
  let leftAfter = 0;
  let spillLeft = 0;
  let spilledAtKill = 0;
  let spilledRuns = 0;
  const phases = { 'mid-swap': 0, staging: 0, other: 0 };
  for (const plan of plans) {
    const from = current === 'a' ? expected.a : b;
    const target = current === 'a' ? 'b' : 'a';
    const to = target === 'a' ? expected.a : b;
    await useData(target);
    const victim = await killCompute(repo, ctx.workDir, plan);
    const exit = await victim.exited;
    const left = await leftovers(repo);
    const phase = left.swap > 0 ? 'mid-swap' : left.staging > 0 ? 'staging' : 'other';
    phases[phase]++;
    if ((await spillFolders()).some((f) => f.pid === victim.pid)) spilledAtKill++;

    const after = await snapshot(repo, entities, scratch);
    const sides = EXAMPLE_VIEWS.map((v) =>
      sideOf(after.views[v] ?? '', from.views[v] ?? '', to.views[v] ?? ''),
    );
    const trainingSides = EXAMPLE_VIEWS.map((v) =>
      sideOf(after.training[v] ?? '', from.training[v] ?? '', to.training[v] ?? ''),
    );
    mixedViews += sides.filter((s) => s === 'mixed').length;
    mixedTraining += trainingSides.filter((s, i) => s === 'mixed' || s !== sides[i]).length;

    const next = await compute(repo, ctx.workDir);
    spilledRuns += next.spilling > 0 ? 1 : 0;
    if (next.code !== 0) {
      failedAfter++;
      ctx.log(`the compute after a kill failed: ${next.output.slice(-400)}`);
    }
    const done = await snapshot(repo, entities, scratch);
    const notNew = EXAMPLE_VIEWS.filter(
      (v) => done.views[v] !== to.views[v] || done.training[v] !== to.training[v],
    );
    incompleteAfter += notNew.length;
    if (notNew.length > 0 || trainingSides.join() !== sides.join())
      ctx.log(
        `  training read ${trainingSides.join('/')}; after the next run not the new data: ${notNew.map((v) => `${v} (rows ${done.views[v]} want ${to.views[v]}, training ${done.training[v]} want ${to.training[v]})`).join(', ')}`,
      );
    const rest = await leftovers(repo);
    leftAfter += rest.swap + rest.staging + rest.trash + rest.lock;
    if ((await spillFolders()).some((f) => f.pid === victim.pid)) spillLeft++;
    ctx.log(
      `kill at ${describePlan(plan)} (${exit.signal ?? exit.code}): ${phase}; views read ${sides.join('/')}; next run ${next.code === 0 ? 'complete' : 'failed'}`,
    );
  }
  const strays = [path.join(ctx.workDir, '.tmp'), path.join(repo, '.tmp')];
  const strayTmp = (await Promise.all(strays.map(exists))).filter(Boolean).length;

  checks.push(
    check(
      'old and new source data give different checksums (the drill can tell them apart)',
      distinct === EXAMPLE_VIEWS.length,
      `${distinct}/${EXAMPLE_VIEWS.length} views differ`,
    ),
    check(
      'after every kill, each view reads as exactly the previous or the new compute',
      mixedViews === 0,
      `${mixedViews} of ${plans.length * EXAMPLE_VIEWS.length} view reads mixed or incomplete; kills: ${phases['mid-swap']} mid-swap, ${phases.staging} while staging, ${phases.other} elsewhere`,
    ),
    check(
      'after every kill, training datasets match the data the view holds',
      mixedTraining === 0,
      `${mixedTraining} of ${plans.length * EXAMPLE_VIEWS.length} differ`,
    ),
    check(
      'the kills covered the swap and the staging writes',
      phases['mid-swap'] >= 1 && phases.staging >= 1,
      `${phases['mid-swap']} mid-swap, ${phases.staging} while staging`,
    ),
    check(
      'the run after each kill completes with exactly the new data',
      failedAfter === 0 && incompleteAfter === 0,
      `${failedAfter} runs failed, ${incompleteAfter} view reads not the new data`,
    ),
    check('no journal, staging, trash or lock left after the next run', leftAfter === 0, `${leftAfter} left`),
    check(
      'DuckDB spill folders of killed computes are removed by the next run, none in the current folder',
      spillLeft === 0 && strayTmp === 0,
      `${spillLeft} of ${plans.length} left behind (${spilledAtKill} kills left one to clean), ${strayTmp} .tmp folders in the working or repo folder`,
    ),
    ...(ctx.quick
      ? []
      : [
          check(
            'computes spilled (their sorts exceed the memory limit), into folders under the system temp folder',
            spilledRuns >= 1,
            `${spilledRuns} of ${plans.length} completing runs seen spilling`,
          ),
        ]),
  );
  Object.assign(figures, {
    seed: random.seed,
    'source rows': rows,
    'clean compute (ms)': Math.round(second.ms),
    kills: plans.length,
    'kill points': plans.map(describePlan).join(', '),
    'kills mid-swap': phases['mid-swap'],
    'kills while staging': phases.staging,
    'mixed view reads': mixedViews,
    'runs seen spilling': spilledRuns,
  });
  return b;
}

/** The `trove:` line a failed command printed. */
function failureLine(run: ComputeRun): string {
  return run.output.split('\n').find((l) => l.startsWith('trove:')) ?? '';
}

/** Fills what is left of a filesystem with a file, as another program filling the disk would. */
async function fillUp(disk: TmpfsMount, file: string, leaveBytes: number): Promise<void> {
  try {
    await writeFile(file, Buffer.alloc(Math.max(0, (await disk.freeBytes()) - leaveBytes)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

async function diskFull(part: Part, newData: Snapshot): Promise<void> {
  const { ctx, rows, scratch, entities, checks, figures } = part;
  const repo = path.join(ctx.workDir, 'full-repo');
  await makeExampleRepo(repo, { rows: 300_000, seed: 3 }, SETTINGS);
  const offline = path.join(repo, '.trove', 'offline');
  const disk = await TmpfsMount.mount(offline, 96);
  try {
    const first = await compute(repo, ctx.workDir);
    if (first.code !== 0) throw new Error(`compute on the tmpfs failed: ${first.output}`);
    const old = await snapshot(repo, entities, scratch);
    // The same data as the new side of the kill runs, several times larger than the old.
    await writeExampleData(path.join(repo, 'data'), { rows, seed: 2 });
    const readBack = async () => {
      const now = await snapshot(repo, entities, scratch);
      const sides = EXAMPLE_VIEWS.map((v) =>
        sideOf(now.views[v] ?? '', old.views[v] ?? '', newData.views[v] ?? ''),
      );
      const trainingOk = EXAMPLE_VIEWS.every(
        (v, i) => now.training[v] === (sides[i] === 'old' ? old.training[v] : newData.training[v]),
      );
      return { sides, trainingOk };
    };

    // 1. The disk fills up while compute writes (another program left 1.5 MB free).
    await fillUp(disk, path.join(offline, 'ballast-1'), 1_500_000);
    const freeBefore = await disk.freeBytes();
    const filling = await compute(repo, ctx.workDir);
    const message = failureLine(filling);
    ctx.log(`disk fills during compute: exit ${filling.code}: ${message}`);
    const duringFill = await readBack();
    const failedView = EXAMPLE_VIEWS.find((v) => message.includes(`feature view ${v}:`));
    const leftFill = await leftovers(repo);
    const spillLeft = (await spillFolders()).filter((f) => f.pid === filling.pid).length;
    const freeAfter = await disk.freeBytes();

    // 2. The disk is already full when compute starts.
    await fillUp(disk, path.join(offline, 'ballast-2'), 0);
    const freeFull = await disk.freeBytes();
    const full = await compute(repo, ctx.workDir);
    const fullMessage = failureLine(full);
    ctx.log(`disk full from the start (${freeFull} bytes free): exit ${full.code}: ${fullMessage}`);
    const whenFull = await readBack();
    const leftFull = await leftovers(repo);

    // 3. Space is freed; the next run must go through.
    await rm(path.join(offline, 'ballast-1'));
    await rm(path.join(offline, 'ballast-2'));
    const freed = await compute(repo, ctx.workDir);
    if (freed.code !== 0) ctx.log(`compute after freeing space failed: ${failureLine(freed)}`);
    const done = await snapshot(repo, entities, scratch);
    const complete = EXAMPLE_VIEWS.filter(
      (v) => done.views[v] === newData.views[v] && done.training[v] === newData.training[v],
    ).length;
    const strayTmp = (await Promise.all([ctx.workDir, repo].map((d) => exists(path.join(d, '.tmp'))))).filter(
      Boolean,
    ).length;
    const noSpace = (run: ComputeRun, line: string) =>
      run.code !== 0 && /no space left/i.test(line) && line.includes(offline);

    checks.push(
      check(
        'a compute that fills the disk exits non-zero and says no space is left, and where',
        noSpace(filling, message),
        `exit ${filling.code}: ${message.slice(0, 300)}`,
      ),
      check(
        'a compute started on a full disk exits non-zero and says no space is left, and where',
        noSpace(full, fullMessage),
        `exit ${full.code}: ${fullMessage.slice(0, 300)}`,
      ),
      check(
        'after each, every view reads complete (previous or new data), the one that failed its previous',
        !duringFill.sides.includes('mixed') &&
          failedView !== undefined &&
          duringFill.sides[EXAMPLE_VIEWS.indexOf(failedView)] === 'old' &&
          whenFull.sides.join() === duringFill.sides.join(),
        `views read ${duringFill.sides.join('/')} then ${whenFull.sides.join('/')}; failed view ${failedView ?? 'not named'}`,
      ),
      check(
        'after each, training datasets match the data the views hold',
        duringFill.trainingOk && whenFull.trainingOk,
        duringFill.trainingOk && whenFull.trainingOk ? 'all match' : 'some differ',
      ),
      check(
        'the failed computes left no staging, journal or lock, and gave back the space they had staged',
        [leftFill, leftFull].every((l) => l.swap + l.staging + l.trash + l.lock === 0) &&
          freeAfter >= freeBefore - 64 * 1024,
        `${leftFill.staging + leftFull.staging} staging, ${leftFill.swap + leftFull.swap} journals, ${leftFill.lock + leftFull.lock} locks; free ${Math.round(freeBefore / 1e3)} kB before, ${Math.round(freeAfter / 1e3)} kB after`,
      ),
      check(
        'with space freed, the next compute succeeds with the complete new data',
        freed.code === 0 && complete === EXAMPLE_VIEWS.length,
        `exit ${freed.code}, ${complete}/${EXAMPLE_VIEWS.length} views complete${freed.code === 0 ? '' : `: ${failureLine(freed)}`}`,
      ),
      check(
        'DuckDB spilled under the system temp folder, not onto the full disk or the current folder, and cleaned up',
        spillLeft === 0 && strayTmp === 0,
        `spill folder seen in ${filling.spilling + freed.spilling} polls, ${spillLeft} left after the failed run, ${strayTmp} .tmp folders in the working or repo folder`,
      ),
    );
    Object.assign(figures, {
      'disk fills: message': message.slice(0, 240),
      'disk already full: message': fullMessage.slice(0, 240),
    });
  } finally {
    await disk.unmount();
  }
}

export const drill: Drill = {
  name: 'compute-interrupted',
  description:
    'kill -9 trove compute mid-write and fill its disk: the previous offline data stays complete and readable, the next run completes',
  timeLimitSeconds: 600,
  async run(ctx) {
    const random = seededRandom();
    ctx.log(`seed ${random.seed} (DRILL_SEED=${random.seed} repeats these kill points)`);
    const part: Part = {
      ctx,
      rows: ctx.quick ? 600_000 : 2_000_000,
      scratch: path.join(ctx.workDir, 'scratch'),
      entities: path.join(ctx.workDir, 'entities.parquet'),
      checks: [],
      figures: {},
    };
    const newData = await killedComputes(part, random);
    await diskFull(part, newData);
    return { checks: part.checks, figures: part.figures };
  },
};
