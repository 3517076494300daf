/**
 * A seeded pseudo-random source (mulberry32), so the random points a drill picks can be printed and
 * replayed: `DRILL_SEED=<n> npm run drills -- --only NAME` repeats a run's points exactly.
 */
import { randomInt } from 'node:crypto';

export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  between(low: number, high: number): number;
}

export function seededRandom(seed = Number(process.env.DRILL_SEED ?? randomInt(2 ** 31))): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, between: (low, high) => low + next() * (high - low) };
}
