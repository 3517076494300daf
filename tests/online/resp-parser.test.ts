import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespParser } from '../../src/online/resp/resp-parser.ts';
import { RespError, type RespReply } from '../../src/online/resp/resp-reply.ts';

/** RESP2 encoding of a reply, the way Redis sends it. */
function encode(reply: RespReply): Buffer {
  if (reply === null) return Buffer.from('$-1\r\n');
  if (typeof reply === 'number') return Buffer.from(`:${reply}\r\n`);
  if (typeof reply === 'string') return Buffer.from(`+${reply}\r\n`);
  if (reply instanceof RespError) return Buffer.from(`-${reply.message}\r\n`);
  if (Buffer.isBuffer(reply))
    return Buffer.concat([Buffer.from(`$${reply.length}\r\n`), reply, Buffer.from('\r\n')]);
  return Buffer.concat([Buffer.from(`*${reply.length}\r\n`), ...reply.map(encode)]);
}

const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '1', '-') });
const reply: fc.Arbitrary<RespReply> = fc.letrec<{ reply: RespReply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    line,
    line.map((m) => new RespError(m)),
    // Bulk strings may hold any bytes, CR and LF included.
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    fc.array(tie('reply'), { maxLength: 5 }),
  ),
})).reply;

function plain(r: RespReply): unknown {
  if (Buffer.isBuffer(r)) return { bytes: [...r] };
  if (r instanceof RespError) return { error: r.message };
  if (Array.isArray(r)) return r.map(plain);
  return r;
}

describe('RESP parser', () => {
  it('returns every reply in order, however the bytes are split into reads', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (replies, cuts) => {
          const bytes = Buffer.concat(replies.map(encode));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const got: RespReply[] = [];
          const parser = new RespParser((r) => got.push(r));
          let from = 0;
          for (const p of [...points, bytes.length]) {
            if (p > from) parser.push(bytes.subarray(from, p));
            from = Math.max(from, p);
          }
          expect(got.map(plain)).toEqual(replies.map(plain));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('waits for a large bulk string without losing the replies after it', () => {
    const big = Buffer.alloc(1 << 20, 7);
    const bytes = Buffer.concat([encode(big), encode(42), encode([null, Buffer.from('x')])]);
    const got: RespReply[] = [];
    const parser = new RespParser((r) => got.push(r));
    for (let i = 0; i < bytes.length; i += 1000) parser.push(bytes.subarray(i, i + 1000));
    expect(got.length).toBe(3);
    expect((got[0] as Buffer).equals(big)).toBe(true);
    expect(got[1]).toBe(42);
    expect(plain(got[2]!)).toEqual([null, { bytes: [120] }]);
  });

  it('refuses a byte stream that is not RESP', () => {
    const parser = new RespParser(() => {});
    expect(() => parser.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(/unexpected reply type/);
  });
});
