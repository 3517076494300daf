import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath } from '../../src/definitions/zod-problems.ts';
import { describeZodIssue, type ZodIssueMessageOptions } from '../../src/zod-issue-message.ts';

/** Every issue of parsing `input` with `schema`, as `path: message`. */
function messages(schema: z.ZodType, input: unknown, options?: ZodIssueMessageOptions): string[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to fail');
  return result.error.issues.map((issue) => {
    const { path, message } = describeZodIssue(issue, input, options);
    return `${formatPath(path)}: ${message}`;
  });
}

describe('describeZodIssue names the value given and what was expected', () => {
  it('for each kind of issue', () => {
    const schema = z.strictObject({
      type: z.enum(['int32', 'int64', 'list<int32>']),
      kind: z.literal('batch'),
      name: z.string(),
      count: z.number().int().min(1).max(10),
      ratio: z.number().positive(),
      tags: z.array(z.string()).max(2),
      id: z.string().length(3),
      code: z.string().regex(/^[a-z]+$/),
      email: z.email(),
      prefix: z.string().startsWith('trove:'),
      step: z.number().multipleOf(5),
      keys: z.record(z.string().min(2), z.number()),
    });
    expect(
      messages(schema, {
        type: 'float128',
        kind: 'stream',
        count: 0.5,
        ratio: 0,
        tags: ['a', 'b', 'c'],
        id: 'abcd',
        code: 'A1',
        email: 'nobody',
        prefix: 'x',
        step: 7,
        keys: { k: 1 },
        colour: 'blue',
        shade: 'dark',
      }),
    ).toEqual([
      'type: got "float128", expected one of int32, int64, list<int32>',
      'kind: got "stream", expected "batch"',
      'name: missing, expected a string',
      'count: got 0.5, expected an integer',
      'ratio: got 0, expected more than 0',
      'tags: got ["a","b","c"], expected at most 2 items',
      'id: got "abcd", expected exactly 3 characters',
      'code: got "A1", expected text matching /^[a-z]+$/',
      'email: got "nobody", expected an email address',
      'prefix: got "x", expected text starting with "trove:"',
      'step: got 7, expected a multiple of 5',
      'keys: got key "k", expected at least 2 characters',
      ': unknown keys "colour", "shade"',
    ]);
    expect(messages(z.object({ n: z.number().int().min(1) }), { n: -3 })).toEqual([
      'n: got -3, expected at least 1',
    ]);
    expect(messages(z.object({ n: z.number() }), { n: Number.POSITIVE_INFINITY })).toEqual([
      'n: got Infinity, expected a finite number',
    ]);
  });

  it('uses a message the schema gives, with the value given', () => {
    const schema = z.object({
      entities: z.array(z.string()).min(1, 'a view needs at least one entity'),
      name: z.string().regex(/^[a-z]+$/, 'expected an identifier'),
      at: z.string().refine((s) => s.includes('T'), 'expected a time'),
    });
    expect(messages(schema, { entities: [], name: 'A b', at: 'noon' })).toEqual([
      'entities: a view needs at least one entity (got [])',
      'name: got "A b", expected an identifier',
      'at: got "noon", expected a time',
    ]);
  });

  it('explains unions', () => {
    const source = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('parquet'), path: z.string() }),
      z.object({ kind: z.literal('push') }),
    ]);
    expect(messages(source, { kind: 'parket' })).toEqual([
      'kind: got "parket", expected one of parquet, push',
    ]);
    expect(messages(source, {})).toEqual(['kind: missing, expected one of parquet, push']);
    expect(messages(z.object({ ttl: z.union([z.number(), z.string()]) }), { ttl: true })).toEqual([
      'ttl: got true, expected a number or a string',
    ]);
    // The value has the shape of one option and fails inside it: that problem, where it is.
    const shapes = z.union([z.string(), z.object({ name: z.string(), size: z.number() })]);
    expect(messages(z.object({ x: shapes }), { x: { name: 'a', size: 'big' } })).toEqual([
      'x.size: got "big", expected a number',
    ]);
    expect(messages(z.xor([z.string(), z.string().min(1)]), 'ab')).toEqual([
      ': got "ab", which fits more than one of the allowed forms',
    ]);
  });

  it('shows hostile values short, on one line, without throwing', () => {
    const cycle: Record<string, unknown> = { name: 'c' };
    cycle.self = cycle;
    // Read once by the schema, then it throws.
    let reads = 0;
    const throwing = {
      get name(): unknown {
        reads++;
        if (reads > 1) throw new Error('no');
        return 5;
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no');
        },
      },
    );
    const schema = z.object({ v: z.string() });
    const cases: [unknown, string][] = [
      [{ v: 12n }, 'v: got 12 (a bigint), expected a string'],
      [{ v: 2n ** 100n }, `v: got ${2n ** 100n}, expected a string`],
      [
        { v: 2n ** 1_000_000n },
        expect.stringMatching(/^v: got \(an integer of about 30103\d digits\), expected a string$/),
      ],
      [{ v: cycle }, 'v: got {"name":"c","self":(circular)}, expected a string'],
      [{ v: Symbol('s\nt') }, 'v: got Symbol("s\\nt"), expected a string'],
      [
        { v: ['x'.repeat(1_000_000)] },
        expect.stringMatching(/^v: got \["x+… \(1 item\), expected a string$/),
      ],
      [{ v: proxy }, 'v: got (a value of type object), expected a string'],
    ];
    for (const [input, expected] of cases) expect(messages(schema, input)).toEqual([expected]);
    expect(messages(z.object({ name: z.string() }), throwing)).toEqual([
      'name: got a value that could not be read, expected a string',
    ]);
    const hugeKey = messages(z.strictObject({ v: z.string() }), { v: 7, ['k'.repeat(1_000_000)]: 1 });
    expect(hugeKey).toEqual(['v: got 7, expected a string', expect.stringMatching(/^: unknown key "k+…$/)]);
    expect(hugeKey[1]!.length).toBeLessThan(120);
    const longKey = messages(z.record(z.string(), z.number()), { [`a\nb${'c'.repeat(10_000)}`]: 'x' });
    expect(longKey).toHaveLength(1);
    expect(longKey[0]).toMatch(/^\["a\\nbc+…\]: got "x", expected a number$/);
  });

  it('never shows a secret', () => {
    const schema = z.object({ key: z.string().min(16) });
    expect(messages(schema, { key: 'sesame' }, { isSecret: (path) => path.at(-1) === 'key' })).toEqual([
      'key: got a string of 6 characters (not shown), expected at least 16 characters',
    ]);
  });
});
