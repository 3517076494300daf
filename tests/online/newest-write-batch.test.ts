import { describe, expect, it } from 'vitest';
import { NewestWriteBatch } from '../../src/online/newest-write-batch.ts';
import { OnlineKeys } from '../../src/online/online-keys.ts';
import { ROWS_PER_CALL, WRITE_NEWEST_SHA } from '../../src/online/write-newest-script.ts';

/** A batch's commands are the bytes a plain RESP encoding of the same commands would be. */

function resp(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

describe('NewestWriteBatch', () => {
  const keys = new OnlineKeys('präfix', 'proj');
  const rows = ['driver_id=1', 'driver_id=-20', 'customer_id=%C3%BC', 'ü{x}'].map((text, i) => ({
    text,
    value: Buffer.from([i, 0, 13, 10, 255]),
  }));

  it('encodes each row as an HSETNX of its entity hash, by key or by entity text alike', () => {
    const byText = new NewestWriteBatch(keys);
    const byKey = new NewestWriteBatch();
    for (const r of rows) {
      byText.addEntity(r.text, 'v#f', 'li', r.value);
      byKey.add(keys.entity(r.text), 'v#f', 'li', r.value);
    }
    const expected = Buffer.concat(rows.map((r) => resp(['HSETNX', keys.entity(r.text), 'v#f', r.value])));
    expect(byText.inserts()).toEqual(expected);
    expect(byKey.inserts()).toEqual(expected);
    expect(() => byText.addEntity('driver_id=5', 'v#f', 'li', Buffer.alloc(1))).toThrow(/finished/);
  });

  it('assembles script calls of the chosen rows from the same bytes, ROWS_PER_CALL at most each', () => {
    const batch = new NewestWriteBatch(keys);
    const n = ROWS_PER_CALL + 3;
    const values = Array.from({ length: n }, (_, i) => Buffer.from(`value ${i}`));
    for (let i = 0; i < n; i++)
      batch.addEntity(`driver_id=${i}`, i % 2 ? 'a#1' : 'b#2', i % 2 ? 'l' : 'd', values[i]!);
    const call = (idx: number[]) =>
      resp([
        'EVALSHA',
        WRITE_NEWEST_SHA,
        String(idx.length),
        ...idx.map((i) => keys.entity(`driver_id=${i}`)),
        ...idx.flatMap((i) => [i % 2 ? 'a#1' : 'b#2', values[i]!]),
        'b#2',
        'd',
        'a#1',
        'l',
      ]);
    const all = Array.from({ length: n }, (_, i) => i);
    expect(batch.scriptCalls()).toEqual([call(all.slice(0, ROWS_PER_CALL)), call(all.slice(ROWS_PER_CALL))]);
    expect(batch.scriptCalls([1, 4, n - 1])).toEqual([call([1, 4, n - 1])]);
    // The inserts are unchanged by assembling calls from them.
    expect(batch.inserts().subarray(0, 40)).toEqual(
      resp(['HSETNX', keys.entity('driver_id=0'), 'b#2', values[0]!]).subarray(0, 40),
    );
  });
});
