/**
 * Benchmark runner: `npm run bench -- [--quick] [--json FILE] [--only NAME]`. Loads every scenario
 * in bench/scenarios/*.ts (each module exports `scenario`), runs them, prints a table and
 * optionally writes the results as JSON.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult, Scenario } from './scenario.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: readonly string[]): { quick: boolean; json?: string; only?: string; reps?: number } {
  const out: { quick: boolean; json?: string; only?: string; reps?: number } = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--json') out.json = argv[++i];
    else if (a === '--only') out.only = argv[++i];
    else if (a === '--reps') out.reps = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}; expected --quick, --json FILE, --only NAME, --reps N`);
  }
  return out;
}

/** The older shape some scenarios return: one summary with named metrics and a pass flag. */
interface SummaryResult {
  name: string;
  metrics: Record<string, number | string>;
  pass: boolean;
}

function isSummary(value: unknown): value is SummaryResult {
  return typeof value === 'object' && value !== null && 'metrics' in value && !Array.isArray(value);
}

/** Results of either shape as rows of the table; a summary's metrics become rows without baseline. */
function normalize(value: unknown): BenchResult[] {
  if (Array.isArray(value)) return value as BenchResult[];
  if (isSummary(value)) {
    return Object.entries(value.metrics)
      .filter((e): e is [string, number] => typeof e[1] === 'number')
      .map(([name, v]) => ({
        name: `${name}${value.pass ? '' : ' (target missed)'}`,
        value: v,
        unit: '',
        baseline: null,
        baseline_name: '-',
        ratio: null,
        higher_is_better: true,
      }));
  }
  throw new Error('a scenario returned neither a list of results nor a summary');
}

async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(here, 'scenarios');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const scenarios: Scenario[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { scenario?: Scenario };
    if (mod.scenario) scenarios.push(mod.scenario);
  }
  return scenarios;
}

function format(results: readonly (BenchResult & { scenario: string })[]): string {
  const rows = results.map((r) => [
    r.scenario,
    r.name,
    `${r.value.toFixed(1)} ${r.unit}`,
    r.baseline === null ? '-' : `${r.baseline.toFixed(1)} ${r.unit}`,
    r.baseline_name,
    r.ratio === null ? '-' : r.ratio.toFixed(2),
  ]);
  const head = ['scenario', 'figure', 'value', 'baseline', 'baseline is', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const args = parseArgs(process.argv.slice(2));
const workDir = path.resolve(here, '..', 'bench-results', 'work');
await mkdir(workDir, { recursive: true });
const scenarios = (await loadScenarios()).filter((s) => !args.only || s.name === args.only);
if (scenarios.length === 0) throw new Error(`no scenario named ${args.only}`);
const all: (BenchResult & { scenario: string })[] = [];
const failed: string[] = [];
for (const s of scenarios) {
  process.stderr.write(`# ${s.name}: ${s.description}\n`);
  try {
    const results: unknown = await s.run({
      quick: args.quick,
      workDir: path.join(workDir, args.quick ? `${s.name}-quick` : s.name),
      repetitions: args.reps ?? 3,
      log: (m) => process.stderr.write(`  ${m}\n`),
    });
    all.push(...normalize(results).map((r) => ({ ...r, scenario: s.name })));
  } catch (err) {
    // One scenario's missing service (e.g. no Redis) must not hide the others' figures.
    failed.push(s.name);
    process.stderr.write(`  failed: ${(err as Error).message.split('\n')[0]}\n`);
  }
}
process.stdout.write(`${format(all)}\n`);
if (args.json) {
  await writeFile(
    args.json,
    `${JSON.stringify({ date: new Date().toISOString(), quick: args.quick, results: all, failed }, null, 2)}\n`,
  );
}
if (failed.length > 0) process.exitCode = 1;
