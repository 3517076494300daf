import { describe, expect, it } from 'vitest';
import { parseDistributed } from '../../src/cli/commands/materialize.ts';

describe('materialize --distributed and --slices', () => {
  it('take the run to the shard queue, with the slices given', () => {
    expect(parseDistributed({})).toBeUndefined();
    expect(parseDistributed({ distributed: true })).toEqual({});
    expect(parseDistributed({ distributed: true, slices: '8' })).toEqual({ slices: 8 });
  });

  it('refuse slices that are not a whole number from 1 to 1024, or slices without --distributed', () => {
    for (const slices of ['0', '1.5', 'x', '1025', ''])
      expect(() => parseDistributed({ distributed: true, slices })).toThrow(
        /--slices: expected an integer from 1 to 1024/,
      );
    expect(() => parseDistributed({ slices: '4' })).toThrow(/--slices: only with --distributed/);
  });
});
