/**
 * Benchmark runner: `npm run bench -- [--quick] [--json FILE] [--only NAME] [--reps N]`. Loads every
 * scenario in bench/scenarios/*.ts (each module exports `scenario`), runs each in a process of its
 * own, prints a table and optionally writes `{results, machine, ...}` as JSON.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineInfo } from './machine.ts';
import { resultsTable } from './results-table.ts';
import type { BenchResult, ReportedResult, Scenario } from './scenario.ts';

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

/**
 * A result named after its scenario too, so a line of the JSON or the table is identifiable alone;
 * fields in the order docs/benchmarks.md lists them.
 */
function reported(scenario: string, r: BenchResult): ReportedResult {
  return {
    name: `${scenario}: ${r.name}`,
    value: r.value,
    unit: r.unit,
    baseline: r.baseline,
    baseline_name: r.baseline_name,
    ratio: r.ratio,
    higher_is_better: r.higher_is_better,
    target: r.target,
    passed: r.passed,
    scenario,
  };
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

const args = parseArgs(process.argv.slice(2));
const workDir = path.resolve(here, '..', 'bench-results', 'work');
await mkdir(workDir, { recursive: true });
const known = await loadScenarios();
const scenarios = known.filter((s) => (args.only ? s.name === args.only : !s.optIn));
if (scenarios.length === 0)
  throw new Error(`no scenario named ${args.only}; known: ${known.map((s) => s.name).join(', ')}`);
const all: ReportedResult[] = [];
const failed: string[] = [];

/** Runs one scenario in this process. */
async function runHere(s: Scenario): Promise<void> {
  process.stderr.write(`# ${s.name}: ${s.description}\n`);
  const started = performance.now();
  try {
    const results = await s.run({
      quick: args.quick,
      workDir: path.join(workDir, args.quick ? `${s.name}-quick` : s.name),
      repetitions: args.reps ?? 3,
      log: (m) => process.stderr.write(`  ${m}\n`),
    });
    all.push(...results.map((r) => reported(s.name, r)));
    process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    // One scenario's missing service (e.g. no Redis) must not hide the others' figures.
    failed.push(s.name);
    process.stderr.write(`  failed: ${(err as Error).message.split('\n')[0]}\n`);
  }
}

/**
 * Runs one scenario in a fresh Node process (this runner with `--only`), so no heap, JIT state or
 * connection of one scenario carries over into the next one's figures.
 */
async function runInChild(s: Scenario): Promise<void> {
  const file = path.join(workDir, `results-${process.pid}-${s.name}.json`);
  const argv = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--only',
    s.name,
    '--json',
    file,
    ...(args.quick ? ['--quick'] : []),
    ...(args.reps !== undefined ? ['--reps', String(args.reps)] : []),
  ];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  await once(child, 'exit');
  try {
    const written = JSON.parse(await readFile(file, 'utf8')) as {
      results: ReportedResult[];
      failed: string[];
    };
    all.push(...written.results);
    failed.push(...written.failed);
  } catch {
    failed.push(s.name);
    process.stderr.write(`  failed: the scenario's process exited with ${child.exitCode} and no results\n`);
  } finally {
    await rm(file, { force: true });
  }
}

for (const s of scenarios) {
  if (scenarios.length === 1) await runHere(s);
  else await runInChild(s);
}
const machine = machineInfo();
process.stdout.write(
  `${resultsTable(all)}\n\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, Node ${machine.node}, ${machine.os}\n`,
);
if (args.json) {
  await writeFile(
    args.json,
    `${JSON.stringify(
      {
        results: all,
        machine,
        date: new Date().toISOString(),
        quick: args.quick,
        repetitions: args.reps ?? 3,
        failed,
      },
      null,
      2,
    )}\n`,
  );
}
if (failed.length > 0) process.exitCode = 1;
