/**
 * Hostile input, from the network and from feature repos.
 *
 * 1. 100k fuzzed requests (the generators of tests/server/fuzz-requests.ts: malformed bodies, wrong
 *    types, names carrying SQL, path traversal and NULs, in JSON and Arrow, integers beyond 2^53
 *    nested in objects and lists in every position of every route, each of those refused with a 4xx
 *    naming its column and row or field unless the route ignores it) and requests at and far
 *    beyond the limits (entity lists, body sizes, nesting) against `trove serve` in its own
 *    process: no 5xx, no request unanswered, the same process serving throughout, healthy at the
 *    end, RSS reported.
 * 2. Hostile feature repos (see support/hostile-repos.ts) given to `trove plan`, `apply`,
 *    `compute`, `materialize`, `historical`, `serve` and to training-data retrieval with entity
 *    SQL: each fails with a specific one-line error, never a crash, hang or stack trace; no canary
 *    file outside the repo is read into any output, changed or created beside; no SQL runs that the
 *    repo's author did not write as one query.
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { commitRegistry } from '../src/registry/registry-file.ts';
import { INJECTION_TARGETS } from '../tests/server/fuzz-requests.ts';
import { runFuzz } from '../tests/server/fuzz-run.ts';
import { testDefinitions } from '../tests/server/server-fixture.ts';
import { check, type Drill, type DrillCheck, type DrillContext, type DrillResult } from './drill.ts';
import { ApiServerProcess } from './support/api-server-process.ts';
import { runHostileRepos } from './support/hostile-repo-run.ts';
import { hugeRequests, sendHuge } from './support/huge-requests.ts';
import { deleteKeysUnder, drillKeyPrefix } from './support/redis-key-prefix.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** trove.yaml's defaults: the limits a server runs with unless told otherwise. */
const MAX_ENTITIES = 10_000;
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const RSS_LIMIT_MB = 1024;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function fuzzServer(ctx: DrillContext, prefix: string, result: DrillResult): Promise<void> {
  const { checks, figures } = result;
  const repo = path.join(ctx.workDir, 'fuzz-repo');
  await mkdir(repo, { recursive: true });
  await writeFile(path.join(repo, 'trove.yaml'), 'project: drill_fuzz\n');
  await commitRegistry(path.join(repo, '.trove', 'registry.json'), 'drill_fuzz', 0, testDefinitions());
  for (const target of INJECTION_TARGETS) await rm(target, { force: true });

  const server = await ApiServerProcess.start({
    repoDir: repo,
    env: { REDIS_URL, TROVE_REDIS_KEY_PREFIX: prefix, TROVE_API_KEYS: '' },
    logLevel: 'warn',
  });
  try {
    const pid = server.pid;
    const rssStart = await server.rssMb();
    let rssPeak = rssStart;
    const total = ctx.quick ? 5_000 : 100_000;
    const fuzz = await runFuzz(server.url, {
      total,
      seed: 20260101,
      timeoutMs: 60_000,
      progressEvery: ctx.quick ? 1_000 : 10_000,
      onProgress: async (done, failures) => {
        const rss = server.running ? await server.rssMb() : Number.NaN;
        rssPeak = Math.max(rssPeak, rss);
        ctx.log(`${done} fuzzed requests, ${failures} failures, server RSS ${rss.toFixed(0)} MB`);
      },
    });
    const fifth = Object.entries(fuzz.statuses)
      .filter(([s]) => Number(s) >= 500)
      .reduce((n, [, c]) => n + c, 0);
    for (const example of fuzz.examples) ctx.log(`fuzz failure: ${example}`);
    checks.push(
      check(
        'fuzzed requests: every answer a 2xx or a 4xx JSON error',
        fuzz.requests === total && fuzz.failures === 0,
        `${fuzz.requests} requests, ${fuzz.failures} failures${fuzz.examples[0] ? `; first: ${fuzz.examples[0].slice(0, 300)}` : ''}`,
      ),
      check('fuzzed requests: no 5xx', fifth === 0, `${fifth} answers ≥ 500`),
      check('fuzzed requests: none unanswered', (fuzz.statuses[0] ?? 0) === 0, `${fuzz.statuses[0] ?? 0}`),
    );
    const big = fuzz.bigIntegers;
    const bigFifth = Object.entries(big.statuses)
      .filter(([s]) => Number(s) >= 500 || Number(s) === 0)
      .reduce((n, [, c]) => n + c, 0);
    checks.push(
      check(
        'big integers nested in every position of every route: refused with a 4xx naming column and row or field, or ignored',
        big.requests > 0 && bigFifth === 0,
        `${big.requests} requests, ${bigFifth} answered ≥ 500 or not at all`,
      ),
    );
    figures['fuzz requests'] = fuzz.requests;
    figures['fuzz seconds'] = Math.round(fuzz.seconds);
    figures['fuzz statuses'] = JSON.stringify(fuzz.statuses);
    figures['big-integer requests'] = big.requests;
    figures['big-integer statuses'] = JSON.stringify(big.statuses);

    const huge = [];
    for (const request of hugeRequests(MAX_ENTITIES, BODY_LIMIT_BYTES)) {
      const answer = await sendHuge(server.url, request, 120_000);
      ctx.log(
        `${answer.what}: ${answer.status} in ${answer.ms} ms${answer.problem ? ` — ${answer.problem}` : ''}`,
      );
      huge.push(answer);
      if (server.running) rssPeak = Math.max(rssPeak, await server.rssMb());
    }
    const wrong = huge.filter((a) => a.problem);
    checks.push(
      check(
        'huge entity lists and oversized bodies: the expected status, in bounded time',
        wrong.length === 0,
        wrong.length === 0
          ? `${huge.length} requests, slowest ${Math.max(...huge.map((a) => a.ms))} ms`
          : wrong.map((a) => `${a.what}: ${a.problem}`).join('; '),
      ),
    );
    figures['huge requests'] = huge.map((a) => `${a.what}: ${a.status} in ${a.ms} ms`).join('; ');

    const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.status,
      () => 0,
    );
    const rssEnd = server.running ? await server.rssMb() : Number.NaN;
    checks.push(
      check(
        'the same server process served every request',
        server.running && server.pid === pid,
        `pid ${pid}, ${server.running ? 'running' : 'exited'}`,
      ),
      check('health after the run', health === 200, `GET /health ${health}`),
      check(
        `server RSS stays below ${RSS_LIMIT_MB} MB`,
        rssPeak < RSS_LIMIT_MB,
        `start ${rssStart.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB, end ${rssEnd.toFixed(0)} MB`,
      ),
    );
    figures['server RSS start MB'] = Math.round(rssStart);
    figures['server RSS peak MB'] = Math.round(rssPeak);
    figures['server RSS end MB'] = Math.round(rssEnd);
    const created: string[] = [];
    for (const target of INJECTION_TARGETS) if (await exists(target)) created.push(target);
    checks.push(
      check(
        'no SQL from a request ran: files its fragments would create do not exist',
        created.length === 0,
        created.length === 0 ? `${INJECTION_TARGETS.length} targets absent` : created.join(', '),
      ),
    );
    const errors = server.output.match(/"level":50/g)?.length ?? 0;
    figures['server error log lines'] = errors;
  } finally {
    await server.stop();
  }
}

export const drill: Drill = {
  name: 'hostile-input',
  description:
    '100k fuzzed and huge requests against trove serve, and hostile feature repos against every command',
  timeLimitSeconds: 2700,
  async run(ctx: DrillContext): Promise<DrillResult> {
    // Every key of the run lives under this prefix: `<prefix>:fuzz:...`, `<prefix>:<repo>:...`.
    const prefix = drillKeyPrefix('hostile-input');
    const fuzz: DrillResult = { checks: [] as DrillCheck[], figures: {} };
    const repos: DrillResult = { checks: [] as DrillCheck[], figures: {} };
    try {
      // Independent: the server under fuzz is one process, the repos' commands others.
      await Promise.all([
        fuzzServer(ctx, `${prefix}:fuzz`, fuzz),
        runHostileRepos(ctx, { redisUrl: REDIS_URL, keyPrefix: prefix }, repos),
      ]);
      return {
        checks: [...fuzz.checks, ...repos.checks],
        figures: { ...fuzz.figures, ...repos.figures },
      };
    } finally {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        ctx.log(`removed ${await deleteKeysUnder(redis, prefix)} Redis keys under ${prefix}`);
      } finally {
        redis.disconnect();
      }
    }
  },
};
