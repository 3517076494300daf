/** Client input in messages: any value shown shortly, without throwing, at a cost bounded by the length shown. */
import { describe, expect, it } from 'vitest';
import { SHOWN_VALUE_LENGTH, showName, showNames, showValue } from '../src/show-value.ts';

describe('showValue', () => {
  it('writes bigints as digits wherever they are', () => {
    expect(showValue(-5184807016399734332n)).toBe('-5184807016399734332');
    expect(showValue({ '-1': { '[]': [2n ** 70n] } })).toBe('{"-1":{"[]":[1180591620717411303424]}}');
  });

  it('shows scalars as JSON writes them, and what JSON cannot write by what it is', () => {
    expect(showValue('x"y')).toBe('"x\\"y"');
    expect(showValue(null)).toBe('null');
    expect(showValue(undefined)).toBe('undefined');
    expect(showValue(Number.NaN)).toBe('NaN');
    expect(showValue(true)).toBe('true');
    expect(showValue(Symbol('s'))).toBe('Symbol(s)');
    expect(showValue({ f: () => 1 })).toBe('{"f":(a function)}');
    expect(showValue(new Date(Date.UTC(2024, 0, 1)))).toBe('2024-01-01T00:00:00.000Z');
    expect(showValue(new Date(Number.NaN))).toBe('(an invalid Date)');
    expect(showValue(new Uint8Array(3))).toBe('(3 bytes)');
    expect(showValue('\u0000\uD800')).toBe('"\\u0000\\ud800"');
  });

  it('marks cycles instead of following them', () => {
    const a: unknown[] = [1];
    a.push(a);
    const o: Record<string, unknown> = { n: 1n };
    o.self = o;
    expect(showValue(a)).toBe('[1,(circular)]');
    expect(showValue(o)).toBe('{"n":1,"self":(circular)}');
    // The same object twice side by side is not a cycle.
    const shared = { x: 1 };
    expect(showValue([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });

  it('cuts long text, and stops walking once it has enough', () => {
    const cut = showValue('x'.repeat(10_000_000));
    expect(cut).toBe(`"${'x'.repeat(SHOWN_VALUE_LENGTH - 1)}…`);
    expect(showValue([1, 2, 3], 4)).toBe('[1,2…');
    const wide = Array.from({ length: 1_000_000 }, (_, i) => ({ [`k${i}`]: BigInt(i) }));
    const deep: unknown[] = [];
    let inner = deep;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      inner.push(next);
      inner = next;
    }
    const started = performance.now();
    expect(showValue(wide)).toHaveLength(SHOWN_VALUE_LENGTH + 1);
    expect(showValue(deep)).toBe(`${'['.repeat(SHOWN_VALUE_LENGTH)}…`);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('describes a huge bigint by its size instead of writing its digits', () => {
    expect(showValue(10n ** 5000n)).toMatch(/^\(an integer of about 500\d digits\)$/);
    expect(showValue(-(10n ** 5000n))).toMatch(/^-\(an integer of about 500\d digits\)$/);
    expect(showValue(2n ** 255n, 100)).toBe((2n ** 255n).toString());
  });

  it('does not cut a surrogate pair in half', () => {
    expect(showValue(`${'x'.repeat(SHOWN_VALUE_LENGTH - 2)}😀😀`)).toBe(
      `"${'x'.repeat(SHOWN_VALUE_LENGTH - 2)}…`,
    );
  });

  it('never throws, even for a getter or proxy that does', () => {
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no');
        },
      },
    );
    expect(showValue(getter)).toBe('(a value of type object)');
    expect(showValue(proxy)).toBe('(a value of type object)');
  });
});

describe('showName', () => {
  it('leaves ordinary names as they are and quotes the rest', () => {
    expect(showName('driver_id')).toBe('driver_id');
    expect(showName('driver_hourly_stats:conv_rate')).toBe('driver_hourly_stats:conv_rate');
    expect(showName('')).toBe('""');
    expect(showName(' a')).toBe('" a"');
    expect(showName('a\u0000b')).toBe('"a\\u0000b"');
    expect(showName('x"; --')).toBe('"x\\"; --"');
    expect(showName('\uD800')).toBe('"\\ud800"');
    expect(showName('n'.repeat(1_000_000))).toHaveLength(101);
  });

  it('lists the first names and counts the rest', () => {
    expect(showNames(['a', 'b'])).toBe('a, b');
    expect(showNames(['a', 'b', 'c', 'd'], 2)).toBe('a, b, and 2 more');
  });
});
