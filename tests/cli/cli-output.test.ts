/**
 * The CLI's output for people and for machines, run as a user would: JSON lines when the output is
 * no terminal (the lines scripts parse), bars and a summary table on a terminal (a real one through
 * util-linux `script`, or forced with --log-format pretty), --quiet and --verbose.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOutputOptions, outputSettings } from '../../src/cli/output/output-settings.ts';
import { formatTable } from '../../src/cli/output/summary-table.ts';
import { loadConfig } from '../../src/config/trove-config.ts';
import { generateExampleData } from '../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, PROJECT_ROOT, type TempRepo } from '../helpers/temp-repo.ts';

const BIN = path.join(PROJECT_ROOT, 'bin', 'trove.mjs');
const START = '2025-12-01T00:00:00Z';
const END = '2026-01-01T00:00:00Z';
/** Views of the YAML example with rows to materialize (the aggregation view's windows end at now). */
const VIEWS = 'customer_profile,driver_hourly_stats';

let repo: TempRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  repo = await makeTempRepo();
  for (const file of ['trove.yaml', 'ride_hailing.yaml', 'transforms.ts'])
    await cp(path.join(PROJECT_ROOT, 'templates', 'init', file), path.join(repo.dir, file));
  await generateExampleData(path.join(repo.dir, 'data'), { rows: 600 });
  env = { TROVE_REDIS_KEY_PREFIX: `trove-cli-output-${randomUUID().slice(0, 8)}` };
  await applyRepo(await loadConfig(repo.dir, { ...process.env, ...env }));
  // Every test finds the views computed, whichever runs alone.
  const store = await FeatureStore.open(repo.dir, { env: { ...process.env, ...env } });
  try {
    await store.compute({ views: VIEWS.split(',') });
  } finally {
    await store.close();
  }
});
afterAll(async () => {
  if (repo) {
    const store = await FeatureStore.open(repo.dir, { env: { ...process.env, ...env } });
    await store.teardown();
    await store.close();
    await repo.remove();
  }
});

function trove(...args: string[]) {
  return runCli([...args, '--repo', repo.dir], env, { timeoutMs: 60_000 });
}

const historicalArgs = () => [
  'historical',
  '--entities',
  path.join(repo.dir, 'data', 'training_rows.parquet'),
  '--features',
  'driver_hourly_stats:conv_rate',
  '--out',
  path.join(repo.dir, 'data', `training-${randomUUID().slice(0, 8)}.parquet`),
];

/** bin/trove.mjs's warning when sources being edited are newer than dist/; no output of a command. */
const STALE_BUILD = 'trove: warning: src/ changed since dist/ was built; run `npm run build`';

/** stderr's JSON lines, each parsed (every line must be JSON). */
function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '' && l !== STALE_BUILD)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Runs `trove ARGS` on a pseudo-terminal (util-linux `script`), so stdout and stderr are both a
 * terminal; answers what the terminal received, control sequences removed.
 */
function onTerminal(
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; text: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args, '--repo', repo.dir].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-q', '-e', '-c', command, '/dev/null'],
      { env: { ...process.env, ...env, TERM: 'xterm', ...extraEnv }, timeout: 60_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, text: stripVTControlCharacters(stdout).replaceAll('\r', '\n') });
      },
    );
  });
}

describe('without a terminal: the JSON lines of before', () => {
  it('compute prints a JSON line per step on stderr and a line per view on stdout', async () => {
    const result = await trove('compute', '--views', VIEWS);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stderr);
    expect(lines.map((l) => [l.view, l.step])).toEqual([
      ['customer_profile', 'start'],
      ['customer_profile', 'staged'],
      ['customer_profile', 'done'],
      ['driver_hourly_stats', 'start'],
      ['driver_hourly_stats', 'staged'],
      ['driver_hourly_stats', 'done'],
    ]);
    for (const l of lines) {
      expect(typeof l.time).toBe('string');
      expect(l.total).toBe(2);
    }
    expect(lines[2]).toMatchObject({ index: 0, rows: expect.any(Number), partitions: expect.any(Number) });
    expect(result.stdout).toMatch(
      /^customer_profile: \d+ rows in \d+ partitions\ndriver_hourly_stats: \d+ rows in \d+ partitions\n$/,
    );
  });

  it('materialize logs each view as `materialized view` and prints a line per view', async () => {
    const result = await trove('materialize', START, END, '--views', VIEWS);
    expect(result.code, result.stderr).toBe(0);
    const done = jsonLines(result.stderr).filter((l) => l.msg === 'materialized view');
    expect(done.map((l) => l.view)).toEqual(['customer_profile', 'driver_hourly_stats']);
    expect(Object.keys(done[0] ?? {})).toEqual([
      'time',
      'msg',
      'view',
      'rows',
      'written',
      'seconds',
      'rowsPerSecond',
      'watermark',
    ]);
    expect(result.stdout).toMatch(/^customer_profile: \d+ rows from 2025-12-01T00:00:00\.000Z to /);
  });

  it('historical prints its `joining`, `written` and `statistics` steps', async () => {
    const result = await trove(...historicalArgs());
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stderr);
    expect(lines.map((l) => l.step)).toEqual(['joining', 'written', 'statistics']);
    expect(lines[1]).toMatchObject({ rows: expect.any(Number), path: expect.stringMatching(/\.parquet$/) });
    expect(lines[2]).toMatchObject({ dataset: expect.stringMatching(/^ds-/), columns: expect.any(Number) });
    expect(result.stdout).toMatch(/^\/.*\.parquet: \d+ rows\n/);
  });
});

describe('--log-format pretty: bars and a summary table, terminal or not', () => {
  it('compute draws a bar over the views and ends with the table', async () => {
    const result = await trove('compute', '--views', VIEWS, '--log-format', 'pretty');
    expect(result.code, result.stderr).toBe(0);
    const bars = stripVTControlCharacters(result.stderr);
    expect(bars).toMatch(/compute +█{16} 100% {2}2 views/);
    expect(bars).not.toContain('{');
    expect(result.stdout).toMatch(
      /^Computed 2 views into the offline store: [\d,]+ rows in [\d.]+ s\n {2}view +rows +partitions +time +rows\/s\n/,
    );
    expect(result.stdout).toMatch(/\n {2}customer_profile +[\d,]+ +\d+ +[\d.]+ s +[\d,]+\n/);
    expect(result.stdout).toMatch(/\n {2}total +[\d,]+ +\d+ +[\d.]+ s +[\d,]+\n$/);
  });

  it('materialize draws a bar per view, counted first, and ends with the table', async () => {
    const result = await trove('materialize', START, END, '--views', VIEWS, '--log-format', 'pretty');
    expect(result.code, result.stderr).toBe(0);
    const bars = stripVTControlCharacters(result.stderr);
    expect(bars).toMatch(/1\/2 customer_profile +█{16} 100% {2}[\d,]+ rows/);
    expect(bars).toMatch(/2\/2 driver_hourly_stats +█{16} 100% {2}[\d,]+ rows/);
    expect(result.stdout).toMatch(/^Materialized 2 views into the online store: [\d,]+ rows in [\d.]+ s\n/);
    expect(result.stdout).toContain('Event times from 2025-12-01T00:00:00.000Z to 2026-01-01T00:00:00.000Z');
    expect(result.stdout).toMatch(/\n {2}view +rows +written +time +rows\/s +watermark\n/);
    expect(result.stdout).toMatch(/\n {2}driver_hourly_stats +[\d,]+ +[\d,]+ +[\d.]+ s +[\d,]+ +20\d\d-/);
  });

  it('datasets reproduce shows the rebuild, then a table', async () => {
    const built = await trove(...historicalArgs(), '--no-statistics');
    const id = /^dataset (\S+), sha256/m.exec(built.stdout)?.[1];
    expect(id, built.stdout).toBeDefined();
    const shown = await trove('datasets', 'show', id!, '--json');
    expect((JSON.parse(shown.stdout) as { statistics: unknown }).statistics).toBeNull();
    expect((await trove('datasets', 'show', id!)).stdout).toContain(
      'statistics: none recorded (built with --no-statistics',
    );
    const out = path.join(repo.dir, 'data', `again-${randomUUID().slice(0, 8)}.parquet`);
    const pretty = await trove('datasets', 'reproduce', id!, '--out', out, '--log-format', 'pretty');
    expect(pretty.code, pretty.stderr).toBe(0);
    expect(stripVTControlCharacters(pretty.stderr)).toMatch(
      new RegExp(`reproducing ${id} +[\\d,]+ rows .*identical`),
    );
    expect(pretty.stdout).toMatch(new RegExp(`^Reproduced dataset ${id}: [\\d,]+ rows in [\\d.]+ s\n`));
    expect(pretty.stdout).toMatch(new RegExp(`identical to dataset ${id}\n$`));
    const json = await trove('datasets', 'reproduce', id!, '--out', out);
    expect(jsonLines(json.stderr).map((l) => l.step)).toEqual(['reproducing', 'written']);
    expect(json.stdout).toMatch(/^\/.*: \d+ rows, sha256 [0-9a-f]{64}\nidentical to dataset /);
  });

  it('historical shows the join running, then the rows written, and a table', async () => {
    const result = await trove(...historicalArgs(), '--log-format', 'pretty');
    expect(result.code, result.stderr).toBe(0);
    expect(stripVTControlCharacters(result.stderr)).toMatch(
      /training dataset +[\d,]+ rows .*written as parquet/,
    );
    expect(result.stdout).toMatch(
      /^Training dataset \S+: [\d,]+ rows in [\d.]+ s\nsha256 [0-9a-f]{64}\n {2}file +format +rows/,
    );
  });
});

describe('--quiet and --verbose', () => {
  it('--quiet prints the result only', async () => {
    const result = await trove('compute', '--views', VIEWS, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^customer_profile: \d+ rows in \d+ partitions\ndriver_hourly_stats: /);
    const materialized = await trove('-q', 'materialize', START, END, '--views', VIEWS);
    expect(materialized.stderr).toBe('');
    expect(materialized.stdout.split('\n')).toHaveLength(3);
  });

  it('--quiet on a terminal draws no bars, only the table', async () => {
    const result = await trove('compute', '--views', VIEWS, '--quiet', '--log-format', 'pretty');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Computed 2 views/);
  });

  it('--quiet still says why a command failed', async () => {
    const result = await trove('compute', '--views', 'no_such_view', '--quiet');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('trove: unknown feature view no_such_view\n');
    expect(result.stdout).toBe('');
  });

  it('--verbose adds debug lines, and a line for every write while materializing', async () => {
    const result = await trove('materialize', START, END, '--views', 'customer_profile', '--verbose');
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stderr);
    // The command's start and end, the range, then a line for every write and one for the view.
    expect(lines.map((l) => [l.level ?? 'info', l.msg])).toEqual([
      ['debug', 'running'],
      ['debug', 'materializing'],
      ...lines.slice(2, -2).map(() => ['info', 'materializing']),
      ['info', 'materialized view'],
      ['debug', 'done'],
    ]);
    expect(lines.length).toBeGreaterThan(4);
    expect(lines[1]).toMatchObject({ start: '2025-12-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' });
    expect(lines[2]).toMatchObject({ view: 'customer_profile', rows: expect.any(Number) });
    expect(lines.at(-2)).toMatchObject({ view: 'customer_profile' });
    const normal = jsonLines((await trove('materialize', START, END, '--views', 'customer_profile')).stderr);
    expect(normal.some((l) => l.level === 'debug')).toBe(false);
  });

  it('--verbose on a terminal prints debug text above the bars', async () => {
    const result = await trove('compute', '--views', VIEWS, '-v', '--log-format', 'pretty');
    expect(result.code, result.stderr).toBe(0);
    const text = stripVTControlCharacters(result.stderr);
    expect(text).toMatch(/debug: computing {2}repo=/);
    expect(text).toMatch(/debug: event {2}view=customer_profile step=start/);
  });

  it('--verbose on any command says what runs and when it is done; --quiet leaves its result', async () => {
    const verbose = await trove('plan', '--verbose');
    expect(verbose.code, verbose.stderr).toBe(0);
    const lines = jsonLines(verbose.stderr);
    expect(lines.map((l) => [l.level, l.msg, l.command])).toEqual([
      ['debug', 'running', 'plan'],
      ['debug', 'done', 'plan'],
    ]);
    expect(lines[0]?.options).toEqual({ repo: repo.dir });
    const quiet = await trove('plan', '-q');
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(verbose.stdout);
  });

  it('refuses --quiet with --verbose', async () => {
    const result = await trove('compute', '--quiet', '--verbose');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('trove: --quiet and --verbose: give one or the other\n');
  });
});

describe('on a real terminal', () => {
  it('bars and a summary table come by themselves', async () => {
    const { code, text } = await onTerminal(['compute', '--views', VIEWS]);
    expect(code, text).toBe(0);
    expect(text).toMatch(/compute +█{16} 100%/);
    expect(text).toMatch(/Computed 2 views into the offline store/);
    expect(text).not.toMatch(/"step"/);
  });

  it('a dumb terminal (TERM=dumb) gets the JSON lines', async () => {
    const { code, text } = await onTerminal(['compute', '--views', VIEWS], { TERM: 'dumb' });
    expect(code, text).toBe(0);
    expect(text).toMatch(/^\{"time":"[^"]+","view":"customer_profile","step":"start"/m);
    expect(text).not.toContain('█');
  });

  it('--log-format json gives the JSON lines all the same', async () => {
    const { code, text } = await onTerminal(['compute', '--views', VIEWS, '--log-format', 'json']);
    expect(code, text).toBe(0);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).step)).toEqual([
      'start',
      'staged',
      'done',
      'start',
      'staged',
      'done',
    ]);
    expect(text).not.toContain('█');
    expect(text).toMatch(/customer_profile: \d+ rows in \d+ partitions/);
  });
});

describe('output settings', () => {
  async function settings(args: string[], terminal: boolean) {
    const program = addOutputOptions(new Command('trove').exitOverride());
    let command: Command | undefined;
    program.command('x').action((_options, c: Command) => {
      command = c;
    });
    await program.parseAsync(['node', 'trove', ...args], { from: 'node' });
    return outputSettings(command!, terminal);
  }

  it('auto is pretty on a terminal and json elsewhere; an explicit format wins', async () => {
    expect(await settings(['x'], true)).toEqual({ format: 'pretty', verbosity: 'normal' });
    expect(await settings(['x'], false)).toEqual({ format: 'json', verbosity: 'normal' });
    expect((await settings(['x', '--log-format', 'json'], true)).format).toBe('json');
    expect((await settings(['--log-format', 'pretty', 'x'], false)).format).toBe('pretty');
    expect((await settings(['x', '-q'], true)).verbosity).toBe('quiet');
    expect((await settings(['--verbose', 'x'], true)).verbosity).toBe('verbose');
  });

  it('an unknown format is refused by name', async () => {
    await expect(settings(['x', '--log-format', 'xml'], true)).rejects.toThrow(
      "option '--log-format <format>' argument 'xml' is invalid. Allowed choices are auto, json, pretty.",
    );
  });

  it('the summary table aligns numbers right and ends with the total', () => {
    expect(
      formatTable({
        title: 'T',
        columns: [{ header: 'view' }, { header: 'rows', align: 'right' }],
        rows: [
          ['a', '1,234'],
          ['longer', '5'],
        ],
        total: ['total', '1,239'],
      }),
    ).toBe(
      [
        'T',
        '  view     rows',
        '  ──────  ─────',
        '  a       1,234',
        '  longer      5',
        '  ──────  ─────',
        '  total   1,239',
      ].join('\n'),
    );
  });
});
