/**
 * Gives every hostile repo (hostile-repos.ts) to every command, as a user would run them, and to
 * training-data retrieval with entity queries, then checks what a hostile repo must never get:
 * a crash, a hang, a stack trace, a vague error, a canary's content in any output or file, a
 * canary changed, a file created outside the repo.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import YAML from 'yaml';
import { generateExampleData } from '../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { runCli } from '../../tests/helpers/run-cli.ts';
import { check, type DrillContext, type DrillResult } from '../drill.ts';
import { ApiServerProcess } from './api-server-process.ts';
import { CanaryFiles } from './canary-files.ts';
import {
  baseObjects,
  type CaseEnv,
  COMMANDS,
  type Command,
  hostileEntityQueries,
  REPO_CASES,
  type RepoCase,
} from './hostile-repos.ts';

export interface RepoRunOptions {
  redisUrl: string;
  /** Redis keys of every command live under this prefix: `<prefix>:<repo>:...`. */
  keyPrefix: string;
}

/** What one command did with one repo. */
interface Outcome {
  failed: boolean;
  /** Everything it printed or answered, to search for leaks and the expected error. */
  text: string;
  /** Why the outcome is unacceptable whatever the case (a crash, a hang, a stack trace). */
  problem?: string;
  ms: number;
}

const COMMAND_TIMEOUT_MS = 180_000;
const STACK_TRACE = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
const PROJECT = 'hostile';

function cliArgs(command: Exclude<Command, 'serve'>, repo: string): string[] {
  switch (command) {
    case 'plan':
    case 'apply':
    case 'compute':
      return [command, '--repo', repo];
    case 'materialize':
      return ['materialize', '2025-11-01T00:00:00Z', '2026-01-02T00:00:00Z', '--repo', repo];
    case 'historical':
      return [
        'historical',
        '--repo',
        repo,
        '--entities',
        path.join(repo, 'data', 'training_rows.parquet'),
        '--features',
        'driver_hourly_stats:conv_rate',
        '--out',
        path.join(repo, 'out', 'train.parquet'),
      ];
  }
}

async function runCommand(
  command: Exclude<Command, 'serve'>,
  repo: string,
  env: NodeJS.ProcessEnv,
): Promise<Outcome> {
  const started = performance.now();
  const r = await runCli(cliArgs(command, repo), env, { timeoutMs: COMMAND_TIMEOUT_MS });
  const ms = Math.round(performance.now() - started);
  const text = `${r.stdout}\n${r.stderr}`;
  const outcome: Outcome = { failed: r.code !== 0, text, ms };
  if (r.timedOut) outcome.problem = `did not finish within ${COMMAND_TIMEOUT_MS / 1000} s`;
  else if (r.signal) outcome.problem = `ended by ${r.signal}`;
  else if (r.code !== 0 && r.code !== 1) outcome.problem = `exit code ${r.code}`;
  else if (STACK_TRACE.test(text)) outcome.problem = `printed a stack trace: ${text.slice(0, 300)}`;
  // Progress lines (JSON) may come first; the reason is the `trove: ...` line.
  else if (r.code === 1 && !/^trove: \S/m.test(r.stderr)) {
    outcome.problem = `no "trove: <reason>" line: ${r.stderr.slice(0, 300)}`;
  }
  return outcome;
}

/** The requests a served hostile repo gets: reads, training data, materialization, a push. */
const SERVE_REQUESTS: { method: 'GET' | 'POST'; url: string; body?: unknown }[] = [
  { method: 'GET', url: '/health' },
  { method: 'GET', url: '/registry' },
  { method: 'GET', url: '/feature-views/driver_hourly_stats' },
  {
    method: 'POST',
    url: '/get-online-features',
    body: { entities: { driver_id: [1001, 1002] }, features: ['driver_hourly_stats:conv_rate'] },
  },
  {
    method: 'POST',
    url: '/get-historical-features',
    body: {
      entities: {
        driver_id: [1001, 1002],
        event_timestamp: ['2025-12-20T00:00:00Z', '2025-12-31T00:00:00Z'],
      },
      features: ['driver_hourly_stats:conv_rate'],
    },
  },
  {
    method: 'POST',
    url: '/materialize',
    body: { start_ts: '2025-11-01T00:00:00Z', end_ts: '2026-01-02T00:00:00Z' },
  },
  {
    method: 'POST',
    url: '/push',
    body: {
      push_source_name: 'driver_push',
      df: { driver_id: [1001], event_timestamp: ['2025-12-20T00:00:00Z'], conv_rate: [0.5] },
      to: 'online_and_offline',
    },
  },
];

async function runServe(repo: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const started = performance.now();
  let server: ApiServerProcess;
  try {
    server = await ApiServerProcess.start({ repoDir: repo, env, logLevel: 'warn' });
  } catch (err) {
    // It refused to start: what it printed is the outcome.
    const text = (err as Error).message;
    const outcome: Outcome = { failed: true, text, ms: Math.round(performance.now() - started) };
    if (!/exited with 1/.test(text))
      outcome.problem = `did not start and did not exit cleanly: ${text.slice(0, 300)}`;
    else if (STACK_TRACE.test(text)) outcome.problem = `printed a stack trace: ${text.slice(0, 300)}`;
    return outcome;
  }
  const texts: string[] = [];
  let failed = false;
  let problem: string | undefined;
  try {
    for (const r of SERVE_REQUESTS) {
      let status = 0;
      let text = '';
      try {
        const res = await fetch(server.url + r.url, {
          method: r.method,
          ...(r.body !== undefined
            ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(r.body) }
            : {}),
          signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
        });
        status = res.status;
        text = Buffer.from(await res.arrayBuffer()).toString('latin1');
      } catch (err) {
        text = (err as Error).message;
      }
      texts.push(`${r.method} ${r.url} ${status} ${text}`);
      if (status >= 400) failed = true;
      if (status === 0) problem ??= `${r.method} ${r.url}: no answer (${text})`;
      else if (status >= 500 && status !== 503)
        problem ??= `${r.method} ${r.url}: ${status} ${text.slice(0, 300)}`;
      else if (status >= 400 && !/^\{"error":\{"code":"[A-Z_]+","message":/.test(text)) {
        problem ??= `${r.method} ${r.url}: ${status} without a JSON error`;
      } else if (STACK_TRACE.test(text)) problem ??= `${r.method} ${r.url}: a stack trace in the answer`;
    }
    if (!server.running) problem ??= 'the server process exited';
  } finally {
    await server.stop();
  }
  texts.push(server.output);
  return {
    failed,
    text: texts.join('\n'),
    ms: Math.round(performance.now() - started),
    ...(problem ? { problem } : {}),
  };
}

/** Every regular file under `dir` (links not followed), Parquet files read as rows. */
async function filesText(dir: string): Promise<string> {
  const parts: string[] = [];
  const parquet: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (file.endsWith('.parquet')) parquet.push(file);
    else parts.push((await readFile(file)).toString('latin1'));
  }
  if (parquet.length > 0) {
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const connection = await instance.connect();
      for (const file of parquet) {
        const reader = await connection.runAndReadAll(
          `SELECT * FROM read_parquet('${file.replaceAll("'", "''")}') LIMIT 100000`,
        );
        parts.push(
          reader.columnNames().join(','),
          JSON.stringify(reader.getRowsJS(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        );
      }
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  }
  return parts.join('\n');
}

async function buildRepo(c: RepoCase, env: CaseEnv, seed: string): Promise<void> {
  const { repo } = env;
  await mkdir(path.join(repo, 'out'), { recursive: true });
  await mkdir(path.join(repo, 'data'), { recursive: true });
  for (const f of await readdir(seed)) {
    await writeFile(path.join(repo, 'data', f), await readFile(path.join(seed, f)));
  }
  const troveYaml = c.troveYaml ? c.troveYaml(env) : `project: ${PROJECT}\n`;
  if (troveYaml !== null) await writeFile(path.join(repo, 'trove.yaml'), troveYaml);
  const objects = baseObjects();
  c.objects?.(objects, env);
  await writeFile(
    path.join(repo, 'defs.yaml'),
    c.definitionsText ? c.definitionsText(env) : YAML.stringify(objects),
  );
  if (c.registry !== false) {
    await mkdir(path.join(repo, '.trove'), { recursive: true });
    // As if applied by a Trove that checked nothing: the registry file is data in the repo too.
    const snapshot = {
      formatVersion: 1,
      project: PROJECT,
      version: 1,
      hash: 'hand-written',
      appliedAt: null,
      objects,
    };
    await writeFile(path.join(repo, '.trove', 'registry.json'), JSON.stringify(snapshot));
  }
  await c.setup?.(env);
}

/** Runs every case; adds its checks and figures to `result`. */
export async function runHostileRepos(
  ctx: DrillContext,
  options: RepoRunOptions,
  result: DrillResult,
): Promise<void> {
  const seed = path.join(ctx.workDir, 'seed-data');
  await generateExampleData(seed, { rows: 400, entityRows: 50 });
  const canaries = await CanaryFiles.create(path.join(ctx.workDir, 'outside'));
  const created = new Set<string>();
  const passwd = await readFile('/etc/passwd', 'utf8').then(
    (t) => t.split('\n')[0] || undefined,
    () => undefined,
  );
  const leaked = (text: string) =>
    canaries.leaksInto(text) || (passwd !== undefined && text.includes(passwd));
  const env: NodeJS.ProcessEnv = {
    REDIS_URL: options.redisUrl,
    TROVE_REDIS_KEY_PREFIX: options.keyPrefix,
    TROVE_API_KEYS: '',
    TROVE_DATA_DIRS: '',
    TROVE_OFFLINE_STORE_PATH: '',
    TROVE_REGISTRY_PATH: '',
  };
  const cases = ctx.quick ? REPO_CASES.filter((_, i) => i % 5 === 0) : REPO_CASES;
  const problems: string[] = [];
  const wrongErrors: string[] = [];
  const leaks: string[] = [];
  let runs = 0;
  let slowest = { what: '', ms: 0 };
  const caseEnv = (repo: string): CaseEnv => ({
    repo,
    canaries,
    created: (name) => {
      const file = canaries.file(`created-${name}`);
      created.add(file);
      return file;
    },
    fromRepo: (target) => path.relative(repo, target),
  });

  for (const c of cases) {
    const repo = path.join(ctx.workDir, 'repos', c.name);
    const cenv = caseEnv(repo);
    await buildRepo(c, cenv, seed);
    // A project of the same name in every repo: each gets its own keys.
    const caseEnvVars = { ...env, TROVE_REDIS_KEY_PREFIX: `${options.keyPrefix}:${c.name}` };
    const outcomes: string[] = [];
    for (const command of COMMANDS) {
      const outcome =
        command === 'serve'
          ? await runServe(repo, caseEnvVars)
          : await runCommand(command, repo, caseEnvVars);
      runs++;
      if (outcome.ms > slowest.ms) slowest = { what: `${c.name} ${command}`, ms: outcome.ms };
      const where = `${c.name}: ${command}`;
      if (outcome.problem) problems.push(`${where}: ${outcome.problem}`);
      if (leaked(outcome.text)) leaks.push(`${where} output`);
      const expected = c.mustFail[command];
      if (expected && !(outcome.failed && expected.test(outcome.text))) {
        wrongErrors.push(
          `${where}: expected to fail with ${expected}, got ${outcome.failed ? 'another error' : 'success'}: ${outcome.text.trim().slice(0, 400)}`,
        );
      }
      if (c.mustSucceed?.includes(command) && outcome.failed) {
        wrongErrors.push(`${where}: expected to succeed: ${outcome.text.trim().slice(0, 400)}`);
      }
      outcomes.push(`${command} ${outcome.failed ? 'refused' : 'ok'}`);
    }
    if (leaked(await filesText(repo))) leaks.push(`${c.name}: files in the repo`);
    ctx.log(`${c.name}: ${outcomes.join(', ')}`);
  }

  // Training data with entity queries, over the sound repo (applied and computed above).
  const sound = path.join(ctx.workDir, 'repos', 'sound-repo');
  const store = await FeatureStore.open(sound, {
    env: { ...process.env, ...env, TROVE_REDIS_KEY_PREFIX: `${options.keyPrefix}:sound-repo` },
  });
  let queries = 0;
  try {
    const legit = await store.getHistoricalFeatures({
      entities: { sql: 'SELECT driver_id, event_timestamp FROM driver_hourly_stats LIMIT 5' },
      features: ['driver_hourly_stats:conv_rate'],
    });
    if (legit.numRows !== 5) wrongErrors.push(`a sound entity query gave ${legit.numRows} rows, not 5`);
    for (const q of hostileEntityQueries(caseEnv(sound))) {
      queries++;
      const error = await store
        .getHistoricalFeatures({ entities: { sql: q.sql }, features: ['driver_hourly_stats:conv_rate'] })
        .then(
          () => undefined,
          (err: unknown) => err as Error,
        );
      if (!error) wrongErrors.push(`${q.name}: accepted`);
      else {
        if (!q.expect.test(error.message)) wrongErrors.push(`${q.name}: ${error.message.slice(0, 300)}`);
        if (leaked(error.message)) leaks.push(`${q.name} error`);
        if (error.name !== 'TroveError')
          problems.push(`${q.name}: not a TroveError: ${error.name}: ${error.message.slice(0, 200)}`);
      }
    }
  } catch (err) {
    problems.push(`entity queries over the sound repo: ${(err as Error).message.slice(0, 300)}`);
  } finally {
    await store.close();
  }

  const changes = await canaries.changes();
  const madeOutside = changes.created;
  const { checks, figures } = result;
  checks.push(
    check(
      'hostile repos: no crash, hang, stack trace or 5xx other than 503',
      problems.length === 0,
      problems.length === 0
        ? `${runs} command runs over ${cases.length} repos`
        : problems.slice(0, 5).join('; '),
    ),
    check(
      'hostile repos: each refused where it must be, with the specific error',
      wrongErrors.length === 0,
      wrongErrors.length === 0
        ? `${cases.length} repos, ${queries} entity queries`
        : wrongErrors.slice(0, 5).join('; '),
    ),
    check(
      'no canary content (nor /etc/passwd) in any output, answer, log or file written',
      leaks.length === 0,
      leaks.length === 0 ? 'token absent everywhere' : leaks.slice(0, 10).join(', '),
    ),
    check(
      'canaries outside the repo neither changed nor removed',
      changes.modified.length === 0 && changes.removed.length === 0,
      `${changes.modified.length} changed, ${changes.removed.length} removed${[...changes.modified, ...changes.removed].length ? `: ${[...changes.modified, ...changes.removed].join(', ')}` : ''}`,
    ),
    check(
      'nothing created outside the repo (no smuggled SQL ran, no path escaped)',
      madeOutside.length === 0,
      madeOutside.length === 0 ? `${created.size} would-be targets absent` : madeOutside.join(', '),
    ),
  );
  figures['hostile repos'] = cases.length;
  figures['hostile command runs'] = runs;
  figures['slowest hostile command'] = `${slowest.what} ${slowest.ms} ms`;
}
