import { describe, expect, it } from 'vitest';
import { InvalidValueError, normalizeValue } from '../../src/definitions/input-values.ts';

describe('input values', () => {
  it('reads floats from numbers, big integers and the proto3 JSON spellings of NaN and infinities', () => {
    expect(normalizeValue('float64', 0.25, 'x')).toBe(0.25);
    expect(normalizeValue('float64', 9_007_199_254_740_993n, 'x')).toBe(9_007_199_254_740_992);
    expect(normalizeValue('float64', 'NaN', 'x')).toBeNaN();
    expect(normalizeValue('float64', 'Infinity', 'x')).toBe(Number.POSITIVE_INFINITY);
    expect(normalizeValue('float32', '-Infinity', 'x')).toBe(Number.NEGATIVE_INFINITY);
    expect(normalizeValue('float32', 0.1, 'x')).toBe(Math.fround(0.1));
    expect(normalizeValue('float64', null, 'x')).toBeNull();
  });

  it('names the place of a value that does not fit', () => {
    expect(() => normalizeValue('float64', 'fast', 'column rate, row 3')).toThrow(InvalidValueError);
    expect(() => normalizeValue('float64', 'fast', 'column rate, row 3')).toThrow(/column rate, row 3/);
    expect(() => normalizeValue('float64', true, 'column rate, row 0')).toThrow(/expected float64/);
  });
});
