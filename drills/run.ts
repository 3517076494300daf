/**
 * Drill runner: `npm run drills -- [--quick] [--only NAME[,NAME]] [--json FILE]`. Loads every
 * drill in drills/*.drill.ts (each module exports `drill`), runs them one at a time, each under its
 * time limit, prints every check and figure, and exits non-zero when any check failed.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Drill, DrillResult } from './drill.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Args {
  quick: boolean;
  only?: string[];
  json?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--only') out.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--json') out.json = argv[++i];
    else throw new Error(`unknown argument ${a}; expected --quick, --only NAME[,NAME], --json FILE`);
  }
  return out;
}

async function loadDrills(): Promise<Drill[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.drill.ts')).sort();
  const drills: Drill[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { drill?: Drill };
    if (!mod.drill) throw new Error(`${f} exports no drill`);
    drills.push(mod.drill);
  }
  return drills;
}

function withTimeLimit<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

interface Outcome {
  name: string;
  description: string;
  passed: boolean;
  seconds: number;
  result?: DrillResult;
  error?: string;
}

const args = parseArgs(process.argv.slice(2));
const all = await loadDrills();
const unknown = (args.only ?? []).filter((n) => !all.some((d) => d.name === n));
if (unknown.length > 0) {
  throw new Error(`no drill named ${unknown.join(', ')}; drills: ${all.map((d) => d.name).join(', ')}`);
}
const drills = args.only ? all.filter((d) => args.only?.includes(d.name)) : all;
const outcomes: Outcome[] = [];
for (const d of drills) {
  process.stderr.write(`# ${d.name}: ${d.description}\n`);
  const workDir = path.resolve(here, '..', 'drills-results', 'work', d.name);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const started = performance.now();
  const outcome: Outcome = { name: d.name, description: d.description, passed: false, seconds: 0 };
  try {
    const result = await withTimeLimit(
      d.run({ quick: args.quick, workDir, log: (m) => process.stderr.write(`  ${m}\n`) }),
      d.timeLimitSeconds,
    );
    outcome.result = result;
    outcome.passed = result.checks.length > 0 && result.checks.every((c) => c.passed);
  } catch (err) {
    outcome.error = (err as Error).stack ?? String(err);
  }
  outcome.seconds = Math.round((performance.now() - started) / 100) / 10;
  outcomes.push(outcome);
  for (const c of outcome.result?.checks ?? []) {
    process.stdout.write(`${c.passed ? 'ok  ' : 'FAIL'} ${d.name}: ${c.what} (${c.detail})\n`);
  }
  if (outcome.error) process.stdout.write(`FAIL ${d.name}: ${outcome.error}\n`);
  for (const [k, v] of Object.entries(outcome.result?.figures ?? {})) {
    process.stdout.write(`     ${d.name}: ${k} = ${v}\n`);
  }
  process.stdout.write(`${outcome.passed ? 'PASS' : 'FAIL'} ${d.name} in ${outcome.seconds} s\n`);
  await rm(workDir, { recursive: true, force: true });
}
const report = { date: new Date().toISOString(), quick: args.quick, drills: outcomes };
await mkdir(path.resolve(here, '..', 'drills-results'), { recursive: true });
await writeFile(
  path.resolve(here, '..', 'drills-results', 'latest.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
if (args.json) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
const failed = outcomes.filter((o) => !o.passed).map((o) => o.name);
process.stdout.write(
  failed.length ? `\nfailed: ${failed.join(', ')}\n` : `\nall ${outcomes.length} drills passed\n`,
);
if (failed.length) process.exitCode = 1;
// Drills close what they open; this guards the runner against one that leaks a handle.
setTimeout(() => process.exit(), 1000).unref();
