import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/definitions/duration.ts';
import { batchFeatureViewSchema } from '../../src/definitions/feature-view.ts';

describe('durations', () => {
  it.each([
    [0, 0],
    [90, 90],
    ['90s', 90],
    ['15m', 900],
    ['12h', 43_200],
    ['7d', 604_800],
    ['1d12h', 129_600],
    ['2w', 1_209_600],
    ['3600', 3600],
  ])('%s is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each(['', 'abc', '5 parsecs', '-1s', '1x', 'd1'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseDuration(-5)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('formats seconds as the shortest duration', () => {
    expect(formatDuration(86_400)).toBe('1d');
    expect(formatDuration(129_661)).toBe('1d12h1m1s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('normalizes a view ttl to seconds, absent meaning no limit', () => {
    const base = { name: 'v', entities: ['e'], source: 's', features: [{ name: 'f', type: 'int64' }] };
    expect(batchFeatureViewSchema.parse({ ...base, ttl: '1d' }).ttl).toBe(86_400);
    expect(batchFeatureViewSchema.parse(base).ttl).toBe(0);
    const bad = batchFeatureViewSchema.safeParse({ ...base, ttl: 'soon' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/duration such as 90s/);
  });
});
