/** The request body parser: JSON.parse's answers, except that big integers keep every digit. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseLosslessJson } from '../../src/server/lossless-json.ts';

/** JSON.parse, except that integer literals beyond the safe range are bigints (written without exponent). */
function expected(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(String(value))) {
    return BigInt(String(value));
  }
  if (Array.isArray(value)) return value.map(expected);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expected(v)]));
  }
  return value;
}

describe('parseLosslessJson', () => {
  it('agrees with JSON.parse on any JSON, but for unsafe integers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        // __proto__ keys are refused on purpose (see the last test).
        fc.pre(!text.includes('"__proto__"'));
        expect(parseLosslessJson(text)).toEqual(expected(JSON.parse(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every digit of integers beyond the safe range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (big) => {
        const parsed = parseLosslessJson(`{"v":[${big}]}`) as { v: unknown[] };
        const v = parsed.v[0];
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
          expect(v).toBe(big);
        } else {
          expect(v).toBe(Number(big));
        }
      }),
      { numRuns: 2000 },
    );
    expect(parseLosslessJson('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseLosslessJson('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseLosslessJson('9007199254740993')).toBe(9007199254740993n);
    expect(parseLosslessJson('9007199254740991')).toBe(9007199254740991);
    expect(parseLosslessJson('1.5e300')).toBe(1.5e300);
    expect(parseLosslessJson('12345678901234567890.5')).toBe(Number('12345678901234567890.5'));
  });

  it('rejects whatever JSON.parse rejects', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        fc.pre(!text.includes('__proto__'));
        let native: unknown;
        let nativeFailed = false;
        try {
          native = JSON.parse(text);
        } catch {
          nativeFailed = true;
        }
        if (nativeFailed) expect(() => parseLosslessJson(text)).toThrow(JsonSyntaxError);
        else expect(parseLosslessJson(text)).toEqual(expected(native));
      }),
      { numRuns: 5000 },
    );
    for (const bad of [
      '',
      ' ',
      'NaN',
      'Infinity',
      '-Infinity',
      '{"a":NaN}',
      '01',
      '1.',
      '.5',
      '-',
      '"\\x"',
      '{"a" 1}',
      '[1,]',
      '{,}',
      'tru',
      '"abc',
      '1 2',
      '"\u0001"',
    ]) {
      expect(() => parseLosslessJson(bad), bad).toThrow(JsonSyntaxError);
    }
  });

  it('reads integers of up to 4300 digits and refuses longer ones', () => {
    expect(parseLosslessJson(`[-${'7'.repeat(4300)}]`)).toEqual([-BigInt('7'.repeat(4300))]);
    expect(() => parseLosslessJson(`{"a": ${'7'.repeat(4301)}}`)).toThrow(
      /an integer of 4301 digits; at most 4300 are read/,
    );
    // Fractions and exponents are read as doubles, whatever their length.
    expect(parseLosslessJson(`${'7'.repeat(5000)}.5`)).toBe(Number.POSITIVE_INFINITY);
  });

  it('bounds nesting and refuses __proto__', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => parseLosslessJson(deep)).toThrow(/nesting deeper than 64/);
    expect(parseLosslessJson(`${'['.repeat(64)}${']'.repeat(64)}`)).toBeInstanceOf(Array);
    expect(() => parseLosslessJson('{"__proto__": {"polluted": true}}')).toThrow(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
