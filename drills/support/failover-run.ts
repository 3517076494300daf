/**
 * The frame of the failover drills: a replicated Redis (a cluster or a Sentinel-watched master,
 * started by its script), a seeded repo whose trove.yaml sets `onlineStore.waitReplicas`, `trove
 * serve` in its own process, online reads of seeded drivers and pushes of drivers of their own
 * (each push one new driver, so every acknowledged push can be looked for afterwards), and a
 * master killed -9 in the middle. It measures how long after the kill reads and pushes succeed
 * again, without the server being restarted, and counts the acknowledged pushes the failover lost.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DrillContext } from '../drill.ts';
import { ApiServerProcess } from './api-server-process.ts';
import {
  checkOnlineAnswer,
  checkPushAnswer,
  createDrillRepo,
  onlineReadBody,
  pushBody,
  seedDrivers,
} from './drill-feature-repo.ts';
import { httpCall } from './http-call.ts';

const SCRIPTS = path.resolve(import.meta.dirname, '..', '..', 'scripts');
const SEEDED = 1000;
const READERS = 4;
const WRITERS = 2;
/** Pause between one caller's requests: busy, with room left on two shared cores. */
const PAUSE_MS = 10;
const PUSHED_FROM = 1_000_001;
/** Successes in a row, after the kill, that count as resumed. */
const RESUMED_AFTER = 20;

/** A replicated Redis whose master can be killed. */
export interface FailoverTopology {
  /** Starts it from nothing; resolves to the environment that points Trove at it. */
  start(): NodeJS.ProcessEnv;
  /** Kills a master with SIGKILL; resolves to its port. */
  killMaster(): number;
  /** Starts the killed node again; it rejoins as a replica. */
  restore(port: number): void;
  stop(): void;
}

/** A topology run by one of scripts/redis-*.sh, its state in `dir`. */
export function scriptTopology(options: {
  script: 'redis-cluster.sh' | 'redis-sentinel.sh';
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Prints the environment for Trove from the script's output. */
  troveEnv(started: string): NodeJS.ProcessEnv;
  /** The port of a master to kill. */
  masterPort(run: (...args: string[]) => string): number;
}): FailoverTopology {
  const env = { ...process.env, ...options.env };
  const run = (...args: string[]): string =>
    execFileSync(path.join(SCRIPTS, options.script), args, {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const pidOf = (port: number): number =>
    Number(
      execFileSync('cat', [path.join(options.dir, String(port), 'redis.pid')], { encoding: 'utf8' }).trim(),
    );
  return {
    start: () => {
      run('stop');
      return options.troveEnv(run('start').trim().split('\n').at(-1)!);
    },
    killMaster: () => {
      const port = options.masterPort(run);
      process.kill(pidOf(port), 'SIGKILL');
      return port;
    },
    restore: (port) => {
      run('start-node', String(port));
    },
    stop: () => {
      run('stop');
    },
  };
}

export interface FailoverOptions {
  drill: string;
  topology: FailoverTopology;
  waitReplicas: number;
  /** Load before the kill. */
  steadyMs: number;
  /** Load after reads and pushes have resumed. */
  afterMs: number;
  /** Longest the load goes on after the kill when they do not resume. */
  limitMs: number;
}

export interface FailoverRun {
  waitReplicas: number;
  /** From the kill to the first of RESUMED_AFTER successes in a row; undefined: never resumed. */
  readsResumedMs: number | undefined;
  writesResumedMs: number | undefined;
  reads: number;
  /** Reads and pushes answered with anything but the right 200 or a 503 (must be none). */
  wrong: string[];
  /** Reads and pushes answered 503 after the kill. */
  unavailable: number;
  acknowledged: number;
  /** Acknowledged pushes whose driver reads NOT_FOUND or another value after the failover. */
  lost: number;
  sameServer: boolean;
}

interface Outcome {
  start: number;
  end: number;
  ok: boolean;
}

/** From `since`, when RESUMED_AFTER outcomes in a row first succeeded: the first one's end. */
function resumedAt(outcomes: readonly Outcome[], since: number): number | undefined {
  const after = outcomes.filter((o) => o.start >= since).sort((a, b) => a.start - b.start);
  let lastFailure = -1;
  for (let i = 0; i < after.length; i++) if (!after[i]!.ok) lastFailure = i;
  const first = after[lastFailure + 1];
  if (!first || after.length - (lastFailure + 1) < RESUMED_AFTER) return undefined;
  return lastFailure < 0 ? since : first.end;
}

export async function runFailover(ctx: DrillContext, options: FailoverOptions): Promise<FailoverRun> {
  const dir = path.join(ctx.workDir, `wait-replicas-${options.waitReplicas}`);
  await mkdir(dir, { recursive: true });
  const troveEnv = options.topology.start();
  let server: ApiServerProcess | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: READERS + WRITERS + 2 });
  try {
    const repo = await createDrillRepo({
      dir,
      redisUrl: 'redis://127.0.0.1:6379',
      drill: options.drill,
    });
    await appendFile(
      path.join(dir, 'trove.yaml'),
      `  waitReplicas: ${options.waitReplicas}\n  waitReplicasTimeoutMs: 500\n`,
    );
    const env = { ...repo.env, ...troveEnv };
    // A new cluster may still be settling (and the machine busy): seeding gets a few tries.
    for (let attempt = 1; ; attempt++) {
      try {
        await seedDrivers({ ...repo, env }, 1, SEEDED);
        break;
      } catch (err) {
        if (attempt === 5) throw err;
        await sleep(500);
      }
    }
    server = await ApiServerProcess.start({ repoDir: dir, env, logLevel: 'warn' });
    const pid = server.pid;
    const base = new URL(server.url);
    const reads: Outcome[] = [];
    const writes: (Outcome & { driver: number })[] = [];
    const wrong: string[] = [];
    /** The last 503 of each route, for the log. */
    const lastUnavailable = new Map<string, string>();
    let nextDriver = PUSHED_FROM;
    let stopAt = Number.POSITIVE_INFINITY;
    const marks = { faultAt: Number.POSITIVE_INFINITY };

    const call = async (
      body: string,
      route: string,
      check: (text: string) => string | undefined,
    ): Promise<Outcome> => {
      const start = performance.now();
      let ok = false;
      try {
        const answer = await httpCall(
          agent,
          base,
          { method: 'POST', path: route, body },
          AbortSignal.timeout(10_000),
        );
        if (answer.status === 200) {
          const problem = check(answer.text);
          ok = problem === undefined;
          if (problem) wrong.push(`${route}: ${problem}`);
        } else if (answer.status === 503) lastUnavailable.set(route, answer.text.slice(0, 300));
        else if (answer.status !== 503) wrong.push(`${route}: ${answer.status} ${answer.text.slice(0, 160)}`);
      } catch (err) {
        wrong.push(`${route}: no answer: ${(err as Error).message}`);
      }
      return { start, end: performance.now(), ok };
    };
    const reader = async () => {
      while (performance.now() < stopAt) {
        const drivers = Array.from({ length: 10 }, () => 1 + Math.floor(Math.random() * SEEDED));
        reads.push(
          await call(onlineReadBody(drivers), '/get-online-features', (t) => checkOnlineAnswer(t, drivers)),
        );
        await sleep(PAUSE_MS);
      }
    };
    const writer = async () => {
      while (performance.now() < stopAt) {
        const driver = nextDriver++;
        const body = JSON.stringify(pushBody([driver], new Date()));
        writes.push({ ...(await call(body, '/push', (t) => checkPushAnswer(t, 1))), driver });
        await sleep(PAUSE_MS);
      }
    };
    const load = Promise.all([
      ...Array.from({ length: READERS }, reader),
      ...Array.from({ length: WRITERS }, writer),
    ]);
    let killedPort: number | undefined;
    let restored = false;
    try {
      await sleep(options.steadyMs);
      ctx.log(`steady: ${reads.length} reads, ${writes.length} pushes; killing a master`);
      marks.faultAt = performance.now();
      killedPort = options.topology.killMaster();
      const limit = marks.faultAt + options.limitMs;
      while (performance.now() < limit) {
        await sleep(50);
        const readsBack = resumedAt(reads, marks.faultAt);
        // The killed node is started again once the replica serves, as a supervisor would: until
        // then, writes that must be confirmed by a replica have none on that shard.
        if (readsBack !== undefined && !restored) {
          options.topology.restore(killedPort);
          restored = true;
          ctx.log(
            `reads resumed ${Math.round(readsBack - marks.faultAt)} ms after the kill; node ${killedPort} restarted`,
          );
        }
        if (readsBack !== undefined && resumedAt(writes, marks.faultAt) !== undefined) break;
      }
      stopAt = Math.min(performance.now() + options.afterMs, limit + options.afterMs);
    } finally {
      stopAt = Math.min(stopAt, performance.now() + options.afterMs);
      await load;
    }
    if (killedPort !== undefined && !restored) options.topology.restore(killedPort);
    for (const [route, text] of lastUnavailable) ctx.log(`last 503 of ${route}: ${text}`);

    // Every acknowledged push is looked for, after the load, once the store serves again.
    const acknowledged = writes.filter((w) => w.ok).map((w) => w.driver);
    let lost = 0;
    for (let i = 0; i < acknowledged.length; i += 200) {
      const drivers = acknowledged.slice(i, i + 200);
      const answer = await httpCall(
        agent,
        base,
        { method: 'POST', path: '/get-online-features', body: onlineReadBody(drivers) },
        AbortSignal.timeout(10_000),
      );
      if (answer.status !== 200)
        throw new Error(`reading the pushed drivers back: ${answer.status} ${answer.text}`);
      const statuses = (JSON.parse(answer.text) as { results: { statuses: string[] }[] }).results[1]!
        .statuses;
      lost += statuses.filter((s) => s !== 'PRESENT').length;
    }
    const readsResumed = resumedAt(reads, marks.faultAt);
    const writesResumed = resumedAt(writes, marks.faultAt);
    return {
      waitReplicas: options.waitReplicas,
      readsResumedMs: readsResumed === undefined ? undefined : readsResumed - marks.faultAt,
      writesResumedMs: writesResumed === undefined ? undefined : writesResumed - marks.faultAt,
      reads: reads.length,
      wrong,
      unavailable: [...reads, ...writes].filter((o) => o.start >= marks.faultAt && !o.ok).length,
      acknowledged: acknowledged.length,
      lost,
      sameServer: server.running && server.pid === pid,
    };
  } finally {
    agent.destroy();
    await server?.stop();
    options.topology.stop();
  }
}
