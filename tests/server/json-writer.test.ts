/** Answer serialization: bigint as digits, bytes as base64, non-finite floats as proto3 JSON strings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestamp, serializeJson } from '../../src/server/json-writer.ts';
import { writeOnlineResponse } from '../../src/server/online-response-writer.ts';

describe('serializeJson', () => {
  it('matches JSON.stringify on plain JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(serializeJson(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes bigint, bytes, dates and non-finite numbers', () => {
    expect(serializeJson({ a: 9223372036854775807n, b: -9223372036854775808n })).toBe(
      '{"a":9223372036854775807,"b":-9223372036854775808}',
    );
    expect(serializeJson([new Uint8Array([0, 1, 255])])).toBe('["AAH/"]');
    expect(serializeJson([new Date('2021-04-12T10:59:42Z'), new Date('2021-04-12T10:59:42.5Z')])).toBe(
      '["2021-04-12T10:59:42Z","2021-04-12T10:59:42.500Z"]',
    );
    expect(serializeJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])).toBe(
      '["NaN","Infinity","-Infinity",0]',
    );
    expect(serializeJson([new Date(Number.NaN), undefined])).toBe('[null,null]');
    expect(isoTimestamp(new Date(0))).toBe('1970-01-01T00:00:00Z');
  });

  it('writes online answers that parse back to the same values', () => {
    const text = writeOnlineResponse({
      metadata: { feature_names: ['driver_id', 'conv_rate', 'blob', 'tags'] },
      results: [
        {
          values: [9007199254740993n, 1n],
          statuses: ['PRESENT', 'PRESENT'],
          event_timestamps: ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
        },
        {
          values: [0.5, null],
          statuses: ['PRESENT', 'NOT_FOUND'],
          event_timestamps: ['2021-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
        },
        {
          values: [new Uint8Array([104, 105]), null],
          statuses: ['PRESENT', 'NULL_VALUE'],
          event_timestamps: ['2021-01-01T00:00:00Z', '2021-01-01T00:00:00Z'],
        },
        {
          values: [
            ['a', 'b'],
            [1.5, Number.NaN],
          ],
          statuses: ['PRESENT', 'PRESENT'],
          event_timestamps: ['2021-01-01T00:00:00Z', '2021-01-01T00:00:00Z'],
        },
      ],
    });
    expect(text).toContain('"values":[9007199254740993,1]');
    const parsed = JSON.parse(text);
    expect(parsed.metadata.feature_names).toEqual(['driver_id', 'conv_rate', 'blob', 'tags']);
    expect(parsed.results[1]).toEqual({
      values: [0.5, null],
      statuses: ['PRESENT', 'NOT_FOUND'],
      event_timestamps: ['2021-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
    });
    expect(parsed.results[2].values).toEqual(['aGk=', null]);
    expect(parsed.results[3].values).toEqual([
      ['a', 'b'],
      [1.5, 'NaN'],
    ]);
  });
});
