import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What one measured run in a child process reported. */
export interface Measurement {
  ms: number;
  /** User + system CPU time of the call, all threads. */
  cpuMs: number;
  /** Peak resident set size of the child, in MiB (includes DuckDB's native memory). */
  maxRssMb: number;
  result: unknown;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts');

/**
 * Runs `module`'s export `fn(args)` in a fresh Node process and returns its wall time (measured
 * around the call only, not process start) and the process's peak RSS. A fresh process per run
 * keeps one run's caches and heap from flattering the next, and makes peak RSS per run exact.
 */
export function measureInChild(module: string, fn: string, args: unknown): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, module, fn, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${module}#${fn} exited with ${code}: ${line}`));
      try {
        resolve(JSON.parse(line) as Measurement);
      } catch {
        reject(new Error(`${module}#${fn}: no measurement in output: ${out.slice(-500)}`));
      }
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians of one side of a pair, and every repetition's wall time (to show the spread). */
export interface PairSide {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  allMs: number[];
}

function side(runs: readonly Measurement[]): PairSide {
  return {
    ms: median(runs.map((m) => m.ms)),
    cpuMs: median(runs.map((m) => m.cpuMs)),
    maxRssMb: median(runs.map((m) => m.maxRssMb)),
    allMs: runs.map((m) => m.ms),
  };
}

/**
 * Measures a target and its baseline alternately (target, baseline, target, ...) so drift in the
 * machine's state affects both alike; returns the medians of time and peak RSS of each.
 */
export async function measurePair(
  repetitions: number,
  target: () => Promise<Measurement>,
  baseline: () => Promise<Measurement>,
): Promise<{ target: PairSide; baseline: PairSide }> {
  return measureRounds(repetitions, { target, baseline });
}

/**
 * Measures several variants in rounds (each once per round, in the order given), as `measurePair`
 * does two; returns the medians of each.
 */
export async function measureRounds<K extends string>(
  repetitions: number,
  variants: Record<K, () => Promise<Measurement>>,
): Promise<Record<K, PairSide>> {
  const names = Object.keys(variants) as K[];
  const runs = new Map<K, Measurement[]>(names.map((n) => [n, []]));
  for (let i = 0; i < repetitions; i++) {
    for (const n of names) runs.get(n)!.push(await variants[n]());
  }
  return Object.fromEntries(names.map((n) => [n, side(runs.get(n)!)])) as Record<K, PairSide>;
}
