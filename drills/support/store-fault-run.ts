/**
 * The frame of drills that break Redis under load: a private redis-server, a seeded repo, `trove
 * serve` in its own process, online reads and pushes (mixed-load.ts) sent on a fixed schedule
 * (clients do not slow down because a server is in trouble, so requests pile up as they would in
 * production) plus a /health probe and a registry read (which needs no Redis) every 100 ms, the
 * server's RSS sampled throughout, and the fault
 * in the middle. The rate is a third of what the server just showed it can take (at most 200
 * requests a second): busy, with room left,
 * so that on a shared machine the latency measured is the fault's and not a queue's. What the drill
 * checks is left to it; every process is stopped before this returns, pass or fail.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DrillContext } from '../drill.ts';
import { ApiServerProcess } from './api-server-process.ts';
import { createDrillRepo, DRILL_VIEW, type DrillRepo, seedDrivers } from './drill-feature-repo.ts';
import { LoadGenerator, type LoadRequest, measureMaxThroughput } from './load-generator.ts';
import type { LoadLog } from './load-log.ts';
import { mixedLoad, SEEDED_DRIVERS } from './mixed-load.ts';
import { RedisServerProcess } from './redis-server-process.ts';
import { RssSampler } from './rss-sampler.ts';

const LOAD_SHARE = 1 / 3;
const MAX_REQUESTS_PER_SECOND = 200;

export interface StoreFaultOptions {
  drill: string;
  /** Load before the fault (the first second is warm-up). */
  steadyMs: number;
  /** Load after the store answers again. */
  afterMs: number;
  /** Breaks Redis, and resolves once it answers again. */
  fault(redis: RedisServerProcess): Promise<void>;
  /** Runs once Redis answers again (e.g. reloading what it lost); the load goes on meanwhile. */
  afterFault?(repo: DrillRepo): Promise<void>;
  /** Whether a read started now must find the seeded values (default: always). */
  dataPresent?(): boolean;
}

export interface StoreFaultRun {
  log: LoadLog;
  repo: DrillRepo;
  /** Requests a second the server answered at most (closed loop), and the rate sent (open loop). */
  capacityPerSecond: number;
  requestsPerSecond: number;
  rss: RssSampler;
  /** performance.now() marks: load began, warm-up done, fault began, Redis answered again, load ended. */
  began: number;
  warm: number;
  faultAt: number;
  clearedAt: number;
  ended: number;
  /** Whether the server that answered last is the process started first. */
  sameServer: boolean;
  serverPid: number;
}

export async function runStoreFault(ctx: DrillContext, options: StoreFaultOptions): Promise<StoreFaultRun> {
  const redis = await RedisServerProcess.start();
  let server: ApiServerProcess | undefined;
  let load: LoadGenerator | undefined;
  let rss: RssSampler | undefined;
  try {
    const repo = await createDrillRepo({ dir: ctx.workDir, redisUrl: redis.url, drill: options.drill });
    await seedDrivers(repo, 1, SEEDED_DRIVERS);
    server = await ApiServerProcess.start({ repoDir: repo.dir, env: repo.env, logLevel: 'warn' });
    const serverPid = server.pid;
    const next = mixedLoad({ dataPresent: options.dataPresent });
    const health: LoadRequest = {
      kind: 'health',
      method: 'GET',
      path: '/health',
      check: (text) => (text.includes('"status":"ok"') ? undefined : `health answered ${text.slice(0, 120)}`),
    };
    const registryRead: LoadRequest = {
      kind: 'registry',
      method: 'GET',
      path: `/feature-views/${DRILL_VIEW}`,
      check: (text) =>
        text.includes(`"name":"${DRILL_VIEW}"`) ? undefined : `answered ${text.slice(0, 120)}`,
    };

    const capacity = await measureMaxThroughput({
      base: server.url,
      concurrency: 16,
      warmupMs: 1000,
      measureMs: 2000,
      next,
    });
    const requestsPerSecond = Math.max(
      20,
      Math.min(MAX_REQUESTS_PER_SECOND, Math.round(capacity.perSecond * LOAD_SHARE)),
    );
    ctx.log(
      `the server answers ${Math.round(capacity.perSecond)} requests/s; sending ${requestsPerSecond}/s`,
    );
    // Enough sockets that no request waits for one while a second's worth wait on a stalled store.
    load = new LoadGenerator({ base: server.url, maxSockets: requestsPerSecond * 3 });
    const generator = load;
    rss = new RssSampler(serverPid);

    const marks = { began: performance.now(), warm: 0, faultAt: 0, clearedAt: 0, ended: 0 };
    rss.start();
    let faultDone = false;
    const reads = generator.openLoop({
      ratePerSecond: requestsPerSecond,
      next,
      until: () => faultDone && performance.now() - marks.clearedAt >= options.afterMs,
    });
    const probes = (async () => {
      while (!(faultDone && performance.now() - marks.clearedAt >= options.afterMs)) {
        await Promise.all([generator.send(health), generator.send(registryRead)]);
        await sleep(100);
      }
    })();
    try {
      await sleep(1000);
      marks.warm = performance.now();
      await sleep(options.steadyMs - 1000);
      ctx.log(`steady: ${generator.log.size} requests answered; breaking Redis`);
      marks.faultAt = performance.now();
      await options.fault(redis);
      marks.clearedAt = performance.now();
      ctx.log(`Redis answers again after ${Math.round(marks.clearedAt - marks.faultAt)} ms`);
      await options.afterFault?.(repo);
    } finally {
      faultDone = true;
      marks.clearedAt ||= performance.now();
      await Promise.all([reads, probes]);
      marks.ended = performance.now();
      rss.stop();
    }
    return {
      log: generator.log,
      repo,
      capacityPerSecond: capacity.perSecond,
      requestsPerSecond,
      rss,
      ...marks,
      sameServer: server.running && server.pid === serverPid,
      serverPid,
    };
  } finally {
    rss?.stop();
    load?.close();
    await server?.stop();
    await redis.stop();
  }
}
