/**
 * Compares an online aggregate with the reference value (SPEC §7 precision): integers, strings and
 * lists exactly; floats within a relative 1e-9.
 */
import { expect } from 'vitest';

export function expectAggregateEqual(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(1, Math.abs(expected), Math.abs(actual));
    expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      1e-9 * scale,
    );
    return;
  }
  expect(actual, what).toEqual(expected);
}
