/**
 * `trove apply` while `trove serve` answers online reads. Concurrent clients read views that every
 * apply keeps (the bundled example's, materialized) while 20 applies alternately add a view
 * (`churn_<k>`, a transformation of driver_stats whose values are avg_daily_trips + k) and remove
 * it again. Probes ask for the view that comes and goes, all the time. The server is one process
 * for the whole drill, never restarted.
 *
 * Checked: no read of a kept view fails or changes its answer; a removed view answers 404
 * UNKNOWN_FEATURE_VIEW (never 5xx, never its old values) soon after the apply commits, and an added
 * view answers soon after it commits, with its correct values once materialized. The commit's
 * moment is the registry file's ctime, which the rename that commits sets; the lag is the send time
 * of the last request after it that still got the old registry's answer.
 */
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { median } from '../bench/measure.ts';
import { openDuckDb } from '../src/duckdb/open-duckdb.ts';
import { quoteString } from '../src/duckdb/sql-literals.ts';
import { copyExampleRepo } from '../tests/helpers/temp-repo.ts';
import { check, type Drill, type DrillCheck, type DrillContext, type DrillResult } from './drill.ts';
import { ApiServerProcess } from './support/api-server-process.ts';
import { openDrillScratch } from './support/drill-scratch.ts';
import { trove } from './support/trove-cli.ts';

/**
 * How long after an apply commits the server may still answer from the registry before it. SPEC §5
 * says a deleted view is unreadable at once: the store stats the registry file in every event-loop
 * turn that serves a read, so a request sent after the rename is read in a turn that sees it, and
 * every read waits for the new file once a turn saw it. By design the lag is 0; what remains is the
 * commit's moment, read from the file's ctime, which the kernel keeps with a coarse clock (one tick,
 * 4 to 10 ms, behind): 20 ms. The online route reuses a registry for planning for 500 ms; were that
 * reuse to decide answers, stale answers would run on for up to 500 ms after a commit.
 */
const MAX_LAG_MS = 20;
/** Concurrent clients reading the kept views, each pausing this long between requests. */
const LOAD_CLIENTS = 6;
const LOAD_PAUSE_MS = 5;
/** Clients asking for the view that comes and goes; they pause little, for a fine time resolution. */
const PROBE_CLIENTS = 2;
const PROBE_PAUSE_MS = 2;
/** Probes keep asking this long after each apply, past the route's 500 ms registry reuse. */
const SETTLE_MS = 1_500;

const CHURN_DRIVERS = Array.from({ length: 10 }, (_, i) => 1000 + i);

function churnYaml(k: number): string {
  return `featureViews:
  - name: churn_${k}
    entities: [driver]
    source: driver_stats
    ttl: 0
    transformation: SELECT driver_id, event_timestamp, created, avg_daily_trips + ${k} AS trips_plus FROM source
    features:
      - { name: trips_plus, type: int64 }
`;
}

interface OnlineAnswer {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(base: string, url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Whether an answer of a kept view is its baseline. A value may only have aged past its view's ttl
 * meanwhile (PRESENT → OUTSIDE_MAX_AGE, same event time, value null): reads are judged at read time.
 */
function sameAnswer(base: OnlineAnswer, got: OnlineAnswer): boolean {
  if (JSON.stringify(base.metadata) !== JSON.stringify(got.metadata)) return false;
  if (base.results.length !== got.results.length) return false;
  return base.results.every((b, i) => {
    const g = got.results[i]!;
    if (g.values.length !== b.values.length) return false;
    return b.values.every((v, j) => {
      const same =
        JSON.stringify(v) === JSON.stringify(g.values[j]) &&
        b.statuses[j] === g.statuses[j] &&
        b.event_timestamps[j] === g.event_timestamps[j];
      const aged =
        g.statuses[j] === 'OUTSIDE_MAX_AGE' &&
        g.values[j] === null &&
        b.event_timestamps[j] === g.event_timestamps[j];
      return same || aged;
    });
  });
}

/** Per driver, the avg_daily_trips of its newest rows (several when rows tie) in [start, end]. */
async function newestTrips(dataDir: string, start: Date, end: Date): Promise<Map<number, number[]>> {
  const { instance, connection } = await openDuckDb({ threads: 1, access: 'unrestricted' });
  try {
    const reader = await connection.runAndReadAll(`
      SELECT driver_id::INTEGER, list(avg_daily_trips::INTEGER) FROM (
        SELECT *, rank() OVER (PARTITION BY driver_id ORDER BY event_timestamp DESC, created DESC NULLS LAST) AS r
        FROM read_parquet(${quoteString(path.join(dataDir, 'driver_stats.parquet'))})
        WHERE event_timestamp BETWEEN ${quoteString(start.toISOString())}::TIMESTAMPTZ
                                  AND ${quoteString(end.toISOString())}::TIMESTAMPTZ
      ) WHERE r = 1 GROUP BY driver_id`);
    return new Map(reader.getRowsJson().map((row) => [Number(row[0]), (row[1] as number[]).map(Number)]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Driver and customer pairs that have trips, so the feature service's pair view has values. */
async function tripPairs(dataDir: string, n: number): Promise<{ drivers: number[]; customers: number[] }> {
  const { instance, connection } = await openDuckDb({ threads: 1, access: 'unrestricted' });
  try {
    const reader = await connection.runAndReadAll(`
      SELECT DISTINCT driver_id::INTEGER, customer_id::INTEGER
      FROM read_parquet(${quoteString(path.join(dataDir, 'trips.parquet'))}) ORDER BY ALL LIMIT ${n}`);
    const rows = reader.getRowsJson();
    return { drivers: rows.map((r) => Number(r[0])), customers: rows.map((r) => Number(r[1])) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * What a 200 for churn view `k` holds: `right` (every driver's value PRESENT and right), `none`
 * (none materialized yet), `partial` (a materialization is writing), or `wrong …`.
 */
function churnOutcome(answer: OnlineAnswer, k: number, expected: ReadonlyMap<number, number[]>): string {
  const column = answer.results[1]!;
  const cells = column.statuses.map((s, i) => {
    if (s === 'NOT_FOUND') return 'none';
    const candidates = expected.get(CHURN_DRIVERS[i]!) ?? [];
    return s === 'PRESENT' && candidates.some((t) => t + k === column.values[i]) ? 'right' : 'wrong';
  });
  if (cells.includes('wrong')) return `wrong ${JSON.stringify(column).slice(0, 200)}`;
  if (cells.every((x) => x === 'right')) return 'right';
  return cells.every((x) => x === 'none') ? 'none' : 'partial';
}

/** `n` clients each calling `step` until `stopped()`, pausing `pauseMs` between calls. */
function startClients(
  n: number,
  pauseMs: number,
  stopped: () => boolean,
  step: (client: number, i: number) => Promise<void>,
): Promise<void>[] {
  return Array.from({ length: n }, async (_, client) => {
    for (let i = 0; !stopped(); i++) {
      await step(client, i);
      await sleep(pauseMs);
    }
  });
}

/** What a probe got when it asked for churn view `k`. */
interface ProbeRecord {
  k: number;
  /** Date.now() just before the request left, and when its answer was in. */
  sent: number;
  answered: number;
  status: number;
  /** 404's error code; for 200: every value PRESENT and right, none found yet, or some value wrong. */
  outcome: string;
}

/** One add-or-remove cycle of churn view `k`. */
interface Cycle {
  k: number;
  addedAt: number;
  materializedAt: number;
  removedAt: number;
  /** When the next cycle's probes started; the end of this view's window. */
  endedAt: number;
}

/** How a probe window after a commit went: the last stale answer and the first right one. */
interface Notice {
  /** Send time of the last request (sent after the commit) not answered as the new registry says. */
  staleMs: number;
  /** Send time of the first request answered as the new registry says; infinite if none was. */
  firstRightMs: number;
}

/**
 * Probes of view `k` sent at or after `from` and answered before `until` (the next commit, which
 * the server may see before answering a request sent earlier), judged by `right`, relative to
 * `from`.
 */
function noticeAfter(
  records: readonly ProbeRecord[],
  k: number,
  from: number,
  until: number,
  right: (r: ProbeRecord) => boolean,
): Notice {
  let staleMs = 0;
  let firstRightMs = Number.POSITIVE_INFINITY;
  for (const r of records) {
    if (r.k !== k || r.sent < from || r.answered >= until) continue;
    if (right(r)) firstRightMs = Math.min(firstRightMs, r.sent - from);
    else staleMs = Math.max(staleMs, r.sent - from);
  }
  return { staleMs, firstRightMs };
}

/** What the probes saw, judged cycle by cycle. */
interface Verdict {
  adds: Notice[];
  removals: Notice[];
  /** Answers never acceptable: 5xx, no answer, another 404, a wrong value, or not right once materialized. */
  problems: string[];
  /** Right answers between a view's materialization and its removal. */
  afterMaterialize: number;
}

function judge(records: readonly ProbeRecord[], cycles: readonly Cycle[]): Verdict {
  const verdict: Verdict = { adds: [], removals: [], problems: [], afterMaterialize: 0 };
  for (const c of cycles) {
    verdict.adds.push(noticeAfter(records, c.k, c.addedAt, c.removedAt, (r) => r.status === 200));
    const gone = (r: ProbeRecord) => r.status === 404 && r.outcome === 'UNKNOWN_FEATURE_VIEW';
    verdict.removals.push(noticeAfter(records, c.k, c.removedAt, c.endedAt, gone));
    let materializedAnswers = 0;
    for (const r of records) {
      if (r.k !== c.k) continue;
      const materialized = r.status === 200 && r.sent >= c.materializedAt && r.answered < c.removedAt;
      if ((r.status !== 200 && !gone(r)) || r.outcome.startsWith('wrong')) {
        verdict.problems.push(`churn_${c.k}: ${r.status} ${r.outcome}`);
      } else if (materialized) {
        materializedAnswers++;
        if (r.outcome === 'right') verdict.afterMaterialize++;
        else verdict.problems.push(`churn_${c.k} after its materialization: ${r.outcome}`);
      }
    }
    if (materializedAnswers === 0)
      verdict.problems.push(`churn_${c.k}: no probe between materialization and removal`);
  }
  return verdict;
}

/** The kept views' requests: each view alone, and the feature service joining all three. */
function keptRequests(pairs: {
  drivers: number[];
  customers: number[];
}): { entities: object; features?: string[]; feature_service?: string }[] {
  return [
    {
      entities: { driver_id: CHURN_DRIVERS },
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
    },
    {
      entities: { customer_id: pairs.customers },
      features: ['customer_profile:current_balance', 'customer_profile:lifetime_trip_count'],
    },
    {
      entities: { driver_id: pairs.drivers, customer_id: pairs.customers },
      feature_service: 'driver_ranking_v1',
    },
  ];
}

async function run(ctx: DrillContext): Promise<DrillResult> {
  const cycles = ctx.quick ? 2 : 10;
  const scratch = await openDrillScratch(ctx, 'apply-while-serving');
  const { repo, env } = scratch;
  const dataDir = path.join(repo.dir, 'data');
  const registryPath = path.join(repo.dir, '.trove', 'registry.json');
  let server: ApiServerProcess | undefined;
  let stopped = false;
  const loops: Promise<void>[] = [];
  try {
    const dataEnd = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const rangeStart = new Date(dataEnd.getTime() - 40 * 86_400_000);
    const rangeEnd = new Date(dataEnd.getTime() + 3_600_000);
    ctx.log('building and materializing the example repo');
    await copyExampleRepo(repo, 4_000, dataEnd);
    await trove(['apply', '--repo', repo.dir], env);
    await trove(['compute', '--repo', repo.dir], env);
    await trove(['materialize', rangeStart.toISOString(), rangeEnd.toISOString(), '--repo', repo.dir], env);
    const expected = await newestTrips(dataDir, rangeStart, rangeEnd);

    server = await ApiServerProcess.start({ repoDir: repo.dir, env });
    const { url, pid } = server;
    const kept = keptRequests(await tripPairs(dataDir, 10));
    const baselines: OnlineAnswer[] = [];
    for (const body of kept) {
      const answer = await post(url, '/get-online-features', body);
      if (answer.status !== 200) throw new Error(`baseline read failed: ${answer.status} ${answer.text}`);
      baselines.push(JSON.parse(answer.text) as OnlineAnswer);
    }
    // Feature columns follow the join key columns.
    const presentAtStart = baselines
      .flatMap((b, i) => b.results.slice(Object.keys(kept[i]!.entities).length).flatMap((r) => r.statuses))
      .filter((s) => s === 'PRESENT').length;

    // The steady load on kept views, and the probes of the view that comes and goes.
    const load = { requests: 0, failures: 0, examples: [] as string[] };
    const loadStarted = Date.now();
    loops.push(
      ...startClients(
        LOAD_CLIENTS,
        LOAD_PAUSE_MS,
        () => stopped,
        async (client, i) => {
          const which = (client + i) % kept.length;
          let failure: string | undefined;
          try {
            const answer = await post(url, '/get-online-features', kept[which]);
            if (answer.status !== 200) failure = `${answer.status} ${answer.text.slice(0, 160)}`;
            else if (!sameAnswer(baselines[which]!, JSON.parse(answer.text) as OnlineAnswer))
              failure = `changed answer ${answer.text.slice(0, 160)}`;
          } catch (err) {
            failure = (err as Error).message;
          }
          load.requests++;
          if (failure) {
            load.failures++;
            if (load.examples.length < 5) load.examples.push(failure);
          }
        },
      ),
    );
    const probed = { k: 1 };
    const records: ProbeRecord[] = [];
    loops.push(
      ...startClients(
        PROBE_CLIENTS,
        PROBE_PAUSE_MS,
        () => stopped,
        async () => {
          const k = probed.k;
          const sent = Date.now();
          let status = 0;
          let outcome: string;
          try {
            const answer = await post(url, '/get-online-features', {
              entities: { driver_id: CHURN_DRIVERS },
              features: [`churn_${k}:trips_plus`],
            });
            status = answer.status;
            outcome =
              status === 200
                ? churnOutcome(JSON.parse(answer.text) as OnlineAnswer, k, expected)
                : ((JSON.parse(answer.text) as { error?: { code?: string } }).error?.code ??
                  answer.text.slice(0, 100));
          } catch (err) {
            outcome = (err as Error).message;
          }
          records.push({ k, sent, answered: Date.now(), status, outcome });
        },
      ),
    );

    // The applies: add churn_k, compute and materialize it, remove it.
    const done: Cycle[] = [];
    let applies = 0;
    const applyAt = async (): Promise<number> => {
      await trove(['apply', '--repo', repo.dir], env);
      applies++;
      // The rename that commits sets the file's ctime.
      return statSync(registryPath).ctimeMs;
    };
    await sleep(SETTLE_MS);
    for (let k = 1; k <= cycles; k++) {
      probed.k = k;
      const began = Date.now();
      await sleep(200);
      await repo.write('churn.yaml', churnYaml(k));
      const addedAt = await applyAt();
      await sleep(SETTLE_MS);
      await trove(['compute', '--views', `churn_${k}`, '--repo', repo.dir], env);
      const materialized = await post(url, '/materialize', {
        start_ts: rangeStart.toISOString(),
        end_ts: rangeEnd.toISOString(),
        feature_views: [`churn_${k}`],
      });
      if (materialized.status !== 200)
        throw new Error(`materialize churn_${k}: ${materialized.status} ${materialized.text}`);
      const materializedAt = Date.now();
      await sleep(SETTLE_MS);
      await rm(path.join(repo.dir, 'churn.yaml'));
      const removedAt = await applyAt();
      await sleep(SETTLE_MS);
      done.push({ k, addedAt, materializedAt, removedAt, endedAt: Date.now() });
      ctx.log(
        `cycle ${k}: churn_${k} added, materialized, removed in ${((Date.now() - began) / 1000).toFixed(1)} s`,
      );
    }
    stopped = true;
    await Promise.all(loops);
    const loadSeconds = (Date.now() - loadStarted) / 1000;

    const { adds, removals, problems, afterMaterialize } = judge(records, done);
    const fmt = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never');
    const worst = (notices: readonly Notice[], key: keyof Notice) => Math.max(...notices.map((n) => n[key]));
    const lagDetail = (notices: readonly Notice[], what: string) =>
      `last stale answer at most ${fmt(worst(notices, 'staleMs'))} after the commit (median ${fmt(median(notices.map((n) => n.staleMs)))}); first ${what} at most ${fmt(worst(notices, 'firstRightMs'))} after it; ${notices.length} commits`;
    const alive = await server.rssMb().then(
      () => true,
      () => false,
    );
    const health = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    const starts = (server.output.match(/Server listening/g) ?? []).length;
    const errorLines = server.output.split('\n').filter((l) => /"level":(50|60)/.test(l));
    const rate = Math.round(load.requests / loadSeconds);

    const checks: DrillCheck[] = [
      check(
        'reads of kept views never failed nor changed while views were added and removed',
        load.requests > 0 && load.failures === 0 && presentAtStart > 0,
        `${load.failures} failures in ${load.requests} requests (${rate}/s from ${LOAD_CLIENTS} clients; ${presentAtStart} values present)${load.examples.length ? `: ${load.examples.join('; ')}` : ''}`,
      ),
      check(
        'every apply ran against the live server',
        applies === cycles * 2,
        `${applies} applies (${cycles} adds, ${cycles} removals)`,
      ),
      check(
        `a removed view answers 404 UNKNOWN_FEATURE_VIEW, never its data, from ${MAX_LAG_MS} ms after the commit on`,
        worst(removals, 'staleMs') <= MAX_LAG_MS && worst(removals, 'firstRightMs') < SETTLE_MS,
        lagDetail(removals, '404'),
      ),
      check(
        `an added view answers 200 from ${MAX_LAG_MS} ms after the commit on`,
        worst(adds, 'staleMs') <= MAX_LAG_MS && worst(adds, 'firstRightMs') < SETTLE_MS,
        lagDetail(adds, '200'),
      ),
      check(
        'the view that comes and goes never answers 5xx or a wrong value, and answers right once materialized',
        problems.length === 0 && afterMaterialize > 0,
        `${problems.length} bad answers in ${records.length} probes; ${afterMaterialize} right answers after materialization${problems.length ? `: ${problems.slice(0, 4).join('; ')}` : ''}`,
      ),
      check(
        'the API process was never restarted and logged no error',
        alive && health === 200 && starts === 1 && errorLines.length === 0,
        `pid ${pid} ${alive ? 'alive' : 'gone'}, /health ${health}, started ${starts} time(s), ${errorLines.length} error lines${errorLines.length ? `: ${errorLines[0]!.slice(0, 200)}` : ''}`,
      ),
    ];
    return {
      checks,
      figures: {
        applies,
        keptViewRequests: load.requests,
        keptViewFailures: load.failures,
        keptViewRequestsPerSecond: rate,
        probeRequests: records.length,
        maxRemoveLagMs: Math.round(worst(removals, 'staleMs')),
        maxFirst404Ms: Math.round(worst(removals, 'firstRightMs')),
        maxAddLagMs: Math.round(worst(adds, 'staleMs')),
        maxFirst200Ms: Math.round(worst(adds, 'firstRightMs')),
        lagBoundMs: MAX_LAG_MS,
        seconds: Math.round(loadSeconds),
      },
    };
  } finally {
    stopped = true;
    await Promise.allSettled(loops);
    await server?.stop();
    await scratch.close();
  }
}

export const drill: Drill = {
  name: 'apply-while-serving',
  description:
    '20 trove apply runs add and remove views under steady online load; the server follows each commit without a restart',
  timeLimitSeconds: 900,
  run,
};
