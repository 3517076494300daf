/**
 * The pieces of check-consistency that need no store: entity texts read back into join key values
 * exactly as the key builder wrote them, and value comparison by declared type.
 */
import { describe, expect, it } from 'vitest';
import type { JoinKey } from '../../src/definitions/entity.ts';
import { parseEntityText } from '../../src/online/consistency/entity-text.ts';
import { sameValue } from '../../src/online/consistency/same-value.ts';
import { EntityKeyBuilder } from '../../src/online/entity-key.ts';

describe('entity texts', () => {
  it('give back the values the key builder wrote, whatever the characters', () => {
    const keys: JoinKey[] = [
      { name: 'zone', type: 'string' },
      { name: 'account', type: 'int64' },
      { name: 'active', type: 'bool' },
      { name: 'raw', type: 'bytes' },
      { name: 'shard', type: 'int32' },
    ];
    const builder = new EntityKeyBuilder(keys);
    const values = ['a&b=c{d}%é ', 2n ** 63n - 1n, false, new Uint8Array([0, 255, 62, 63]), -7];
    expect(parseEntityText(keys, builder.text(values))).toEqual(values);
  });

  it('refuse texts of other keys, and entities with a null key', () => {
    const keys: JoinKey[] = [{ name: 'driver_id', type: 'int64' }];
    expect(parseEntityText(keys, 'customer_id=5')).toBeUndefined();
    expect(parseEntityText(keys, 'customer_id=5&driver_id=1')).toBeUndefined();
    expect(parseEntityText(keys, 'driver_id=~')).toBeUndefined();
    expect(parseEntityText(keys, 'driver_id=x')).toBeUndefined();
  });
});

describe('values compared by declared type', () => {
  it('float32 within a relative 1e-6, float64 within 1e-9', () => {
    expect(sameValue('float32', Math.fround(0.1), 0.1)).toBe(true);
    expect(sameValue('float32', 0.1, 0.1001)).toBe(false);
    expect(sameValue('float64', 1 / 3, 1 / 3 + 1e-17)).toBe(true);
    expect(sameValue('float64', 1, 1 + 1e-6)).toBe(false);
    expect(sameValue('float64', Number.NaN, Number.NaN)).toBe(true);
  });

  it('integers exactly, past 2^53 too; nulls only equal nulls', () => {
    expect(sameValue('int64', 2n ** 60n + 1n, 2n ** 60n + 1n)).toBe(true);
    expect(sameValue('int64', 2n ** 60n + 1n, 2n ** 60n)).toBe(false);
    expect(sameValue('int32', 5, 5n)).toBe(true);
    expect(sameValue('int32', null, 0)).toBe(false);
    expect(sameValue('string', null, undefined)).toBe(true);
  });

  it('timestamps to the millisecond, bytes and lists item by item', () => {
    expect(sameValue('timestamp', new Date(1_700_000_000_123), 1_700_000_000_123.456)).toBe(true);
    expect(sameValue('timestamp', new Date(1_700_000_000_123), 1_700_000_000_124)).toBe(false);
    expect(sameValue('bytes', new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameValue('bytes', new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameValue('list<int64>', [1n, null], new BigInt64Array([1n, 0n]))).toBe(false);
    expect(sameValue('list<string>', ['a', null], new Set(['a', null]))).toBe(true);
    expect(sameValue('list<float32>', [0.5], [0.5, 1])).toBe(false);
  });
});
