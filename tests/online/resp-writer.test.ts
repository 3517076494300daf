import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../../src/online/resp/resp-writer.ts';

/** RESP of a command, written the obvious way. */
function reference(args: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const bytes = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const arg = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', '%', '{', 'é', '😀'), maxLength: 300 }),
  fc.uint8Array({ maxLength: 2000 }),
);

describe('RESP writer', () => {
  it('writes exactly the bytes of the obvious encoding, for any arguments and batch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arg, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        (commands) => {
          const w = new RespWriter();
          for (const c of commands) w.command(c);
          expect(w.take().equals(Buffer.concat(commands.map(reference)))).toBe(true);
          expect(w.length).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops a half-written command on truncate', () => {
    const w = new RespWriter();
    w.command(['PING']);
    const mark = w.length;
    w.begin(3).string('SET');
    w.truncate(mark);
    expect(w.take().toString()).toBe('*1\r\n$4\r\nPING\r\n');
  });
});
