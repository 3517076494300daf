// The main job end to end on the bundled example: generate data, register the definitions,
// compute the offline store, build a training dataset, materialize, read online features from the
// CLI and over HTTP. Every step is printed as the command a user would type. The service it reads,
// driver_ranking_v2, mixes batch features with windowed trip aggregates (driver_trip_stats) and an
// on-demand feature computed at request time from the trip's fare (fare_vs_driver_mean:fare_ratio),
// so all three kinds show in the training rows and in the online answers.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { formatSeconds, formatTable } from '../src/cli/output/summary-table.ts';
import { openDuckDb } from '../src/duckdb/open-duckdb.ts';
import { quoteString } from '../src/duckdb/sql-literals.ts';

const root = path.resolve(import.meta.dirname, '..');
const repo = path.join(root, 'feature_repo');
const bin = path.join(root, 'bin', 'trove.mjs');
const data = path.join(repo, 'data');
/** Batch features, trip aggregates and an on-demand fare ratio, read offline and online. */
const SERVICE = 'driver_ranking_v2';
/** The training dataset's name in the dataset catalog. */
const DATASET = 'quickstart-training';

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fail(message: string): never {
  process.stderr.write(`quickstart: ${message}\n`);
  process.exit(1);
}

/** Each trove command run and its time, for the summary at the end. */
const steps: { command: string; seconds: number }[] = [];

function trove(...args: string[]): void {
  say(`\n$ trove ${args.join(' ')}`);
  const started = performance.now();
  // On a terminal, trove draws progress bars and ends with a summary table; otherwise JSON lines.
  const result = spawnSync(process.execPath, [bin, ...args, '--repo', repo], { stdio: 'inherit' });
  if (result.status !== 0) fail(`"trove ${args.join(' ')}" failed (exit ${result.status})`);
  // The command and its plain words; options, paths and times would only widen the table.
  const plain = args.findIndex((a) => /^-|[/:]/.test(a));
  steps.push({
    command: ['trove', ...(plain === -1 ? args : args.slice(0, plain))].join(' '),
    seconds: (performance.now() - started) / 1000,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHealth(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) fail(`trove serve exited with code ${server.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  fail('trove serve did not become healthy within 20 s');
}

async function query(sql: string): Promise<{ names: string[]; rows: unknown[][] }> {
  const { instance, connection } = await openDuckDb({ access: 'unrestricted' });
  try {
    const reader = await connection.runAndReadAll(sql);
    return { names: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function printRows(file: string, limit: number): Promise<void> {
  const { names, rows } = await query(
    `SELECT * FROM read_parquet(${quoteString(file)}) WHERE fare_per_km IS NOT NULL LIMIT ${limit}`,
  );
  say(names.join(' | '));
  for (const row of rows) say(row.map((v) => (v === null ? 'null' : String(v))).join(' | '));
}

/** The driver and customer of the latest trip: a pair every view has a value for. */
async function latestTripPair(): Promise<{ driver: string; customer: string }> {
  const { rows } = await query(
    `SELECT driver_id, customer_id FROM read_parquet(${quoteString(path.join(data, 'trips.parquet'))}) ORDER BY event_timestamp DESC LIMIT 2`,
  );
  const [first] = rows;
  if (!first) fail('the example has no trips');
  return { driver: String(first[0]), customer: String(first[1]) };
}

say('Trove quick start on the ride-hailing example (feature_repo/)');

// The data ends at the current minute, so the newest trips fall inside the 1h windows of an online
// read made right after, as they would in production.
const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const start = new Date(end.getTime() - 31 * 86_400_000);
say('\n$ npm run generate-data');
const generated = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(repo, 'scripts', 'generate-data.ts'), '--end', end.toISOString()],
  { stdio: 'inherit' },
);
if (generated.status !== 0) fail('generating the example data failed');

trove('plan');
trove('apply');
trove('compute');

const training = path.join(data, 'training.parquet');
trove(
  'historical',
  '--entities',
  path.join(data, 'training_rows.parquet'),
  '--service',
  SERVICE,
  '--out',
  training,
  '--name',
  DATASET,
);
say(
  "\nA few training rows (labels with the features as they were at each row's event time; the" +
    ' driver_trip_stats aggregates count_1h … rating_last_7d cover the windows ending there, and' +
    " fare_ratio is the row's fare over the driver's fare_mean_7d, computed by the on-demand view):",
);
await printRows(training, 5);

trove('materialize', start.toISOString(), end.toISOString());
const pair = await latestTripPair();
/** The fare of the trip being ranked: a request field, sent with the entities. */
const FARE = 42.5;
say(
  `\nOnline, the request sends the trip's fare (fare=${FARE}) beside the join keys; fare_ratio is computed from it.`,
);
trove(
  'online',
  '--entity',
  `driver_id=${pair.driver}`,
  '--entity',
  `customer_id=${pair.customer}`,
  '--entity',
  `fare=${FARE}`,
  '--service',
  SERVICE,
);

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
say(`\n$ trove serve --port ${port}`);
const server = spawn(
  process.execPath,
  [bin, 'serve', '--repo', repo, '--port', String(port), '--log-level', 'warn'],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
try {
  await waitForHealth(url, server);
  const body = {
    entities: {
      driver_id: [Number(pair.driver), 1001],
      customer_id: [Number(pair.customer), 5001],
      fare: [FARE, 18],
    },
    feature_service: SERVICE,
  };
  say(`\n$ curl -s -X POST ${url}/get-online-features -d '${JSON.stringify(body)}'`);
  const response = await fetch(`${url}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) fail(`get-online-features answered ${response.status}: ${text}`);
  say(text);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}

say(
  '\nCompute recorded statistics of every partition; stats merges them over the view (docs/monitoring.md):',
);
trove('stats', 'driver_hourly_stats');

say(
  '\nServing agrees with training: for a sample of the entities each view holds online, the online' +
    ' values against the point-in-time join at the same instant (docs/monitoring.md). It exits non-zero on any mismatch:',
);
trove('check-consistency');

say(
  '\nThe training dataset left a manifest in the dataset catalog: which code and which data made it' +
    ' (registry version, view definitions, every partition and source file read with a fingerprint, the' +
    " output's sha256). verify checks that nothing it read has changed since:",
);
trove('datasets', 'show', DATASET);
trove('datasets', 'verify', DATASET);

const total = steps.reduce((n, step) => n + step.seconds, 0);
say(
  `\n${formatTable({
    title: 'Quick start summary',
    columns: [{ header: 'step' }, { header: 'time', align: 'right' }],
    rows: steps.map((step) => [step.command, formatSeconds(step.seconds)]),
    total: [`${steps.length} trove commands`, formatSeconds(total)],
  })}`,
);

say(
  '\nDone: registered, computed, built a training dataset with windowed aggregates and an on-demand feature,' +
    " materialized, served online features, and verified the dataset's lineage.",
);
say('Browse it all in the web UI: trove serve --repo feature_repo, then open http://127.0.0.1:6566/ui/');
