/**
 * Values no JSON.stringify can write (integers beyond 2^53, which the lossless parser hands on as
 * bigints, inside objects and lists) in every position of the write and read bodies: each is a 400
 * that names the column and row, or the field, and quotes the value shortly, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

const BIG = '-5184807016399734332';
const CONV_RATE = '"features":["driver_hourly_stats:conv_rate"]';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function refused(url: string, body: string): Promise<string> {
  const answer = await server.post(url, body);
  expect(answer.status, `${url} ${body}: ${answer.text}`).toBe(400);
  return errorOf(answer).message;
}

describe('big integers nested in request values', () => {
  it('an entity value holding an object with a big integer: 400 naming column and row', async () => {
    const expected = `entities.driver_id[0]: expected a scalar value, got {"${BIG}":{"[]":1}}`;
    const body = `{"entities": {"driver_id": [{"${BIG}": {"[]": 1}}]}}`;
    expect(await refused('/get-online-features', body)).toBe(expected);
    // With features to plan, the value reaches the join key check (a 500 there once).
    const planned = `{"entities": {"driver_id": [{"${BIG}": {"[]": 1}}]}, ${CONV_RATE}}`;
    expect(await refused('/get-online-features', planned)).toBe(expected);
  });

  it('big integers in objects and lists in any entity column, online and historical', async () => {
    const cases: [string, string, string][] = [
      ['/get-online-features', `{"entities":{"driver_id":[1,{"a":${BIG}}]},${CONV_RATE}}`, 'driver_id[1]'],
      ['/get-online-features', `{"entities":{"driver_id":[[${BIG}]]},${CONV_RATE}}`, 'driver_id[0]'],
      [
        '/get-online-features',
        `{"entities":{"customer_id":["a",[[{"x":[${BIG}]}]]]},"features":["customer_profile:current_balance"]}`,
        'customer_id[1]',
      ],
      ['/get-online-features', `{"entities":{"driver_id":[1],"x":[{"${BIG}":${BIG}}]},${CONV_RATE}}`, 'x[0]'],
      [
        '/get-historical-features',
        `{"entities":{"driver_id":[[${BIG}]],"event_timestamp":["2024-01-01"]},${CONV_RATE}}`,
        'driver_id[0]',
      ],
      [
        '/get-historical-features',
        `{"entities":{"driver_id":[1,2],"event_timestamp":["2024-01-01",{"t":${BIG}}]},${CONV_RATE}}`,
        'event_timestamp[1]',
      ],
    ];
    for (const [url, body, where] of cases) {
      const message = await refused(url, body);
      expect(message, body).toMatch(new RegExp(`^entities\\.${where.replace(/[[\]]/g, '\\$&')}: `));
      expect(message, body).toContain(BIG);
    }
  });

  it('big integers nested in pushed columns: 400 naming column and row', async () => {
    const row = (column: string, value: string): string => {
      const df: Record<string, string> = {
        customer_id: '["a","b"]',
        event_timestamp: '["2024-01-01","2024-01-02"]',
        current_balance: '[1.5,2.5]',
        lifetime_trips: '[3,4]',
      };
      df[column] = `[${df[column]!.slice(1, -1).split(',')[0]},${value}]`;
      const columns = Object.entries(df).map(([k, v]) => `"${k}":${v}`);
      return `{"push_source_name":"customer_push","df":{${columns.join(',')}}}`;
    };
    for (const column of ['customer_id', 'event_timestamp', 'current_balance', 'lifetime_trips']) {
      for (const value of [`[${BIG}]`, `{"a":[${BIG}]}`]) {
        const message = await refused('/push', row(column, value));
        expect(message).toMatch(new RegExp(`^column ${column}, row 1: expected .*, got `));
        expect(message).toContain(BIG);
      }
    }
  });

  it('big integers in the fields of push, materialize and feature bodies: 400 naming the field', async () => {
    const cases: [string, string, string][] = [
      ['/push', `{"push_source_name":{"a":${BIG}},"df":{"a":[1]}}`, 'push_source_name'],
      ['/push', `{"push_source_name":"customer_push","df":{"a":[1]},"to":[${BIG}]}`, 'to'],
      ['/push', `{"push_source_name":"customer_push","df":[${BIG}]}`, 'df'],
      ['/materialize', `{"start_ts":{"a":${BIG}},"end_ts":"2024-01-02"}`, 'start_ts'],
      ['/materialize', `{"start_ts":"2024-01-01","end_ts":[${BIG}]}`, 'end_ts'],
      [
        '/materialize',
        `{"start_ts":"2024-01-01","end_ts":"2024-01-02","feature_views":[[${BIG}]]}`,
        'feature_views',
      ],
      ['/materialize-incremental', `{"end_ts":{"${BIG}":${BIG}}}`, 'end_ts'],
      ['/materialize-incremental', `{"end_ts":"2024-01-02","feature_views":{"a":${BIG}}}`, 'feature_views'],
      ['/get-online-features', `{"entities":{"driver_id":[1]},"features":[{"a":${BIG}}]}`, 'features'],
      [
        '/get-online-features',
        `{"entities":{"driver_id":[1]},"feature_service":[${BIG}]}`,
        'feature_service',
      ],
      [
        '/get-online-features',
        `{"entities":{"driver_id":[1]},${CONV_RATE},"full_feature_names":${BIG}}`,
        'full_feature_names',
      ],
      ['/get-historical-features', `{"entities":{"a":{"b":${BIG}}},${CONV_RATE}}`, 'entities'],
    ];
    for (const [url, body, field] of cases) {
      expect(await refused(url, body), body).toContain(field);
    }
  });

  it('quotes a huge value or name shortly', async () => {
    const huge = 'x'.repeat(100_000);
    const value = await refused(
      '/get-online-features',
      `{"entities":{"driver_id":["${huge}"]},${CONV_RATE}}`,
    );
    expect(value).toMatch(/^entities\.driver_id\[0\]: expected an int64, got "x+…$/);
    expect(value.length).toBeLessThan(200);
    const name = await server.post(
      '/get-online-features',
      `{"entities":{"driver_id":[1]},"features":["${huge}"]}`,
    );
    expect(name.status).toBe(404);
    expect(errorOf(name).message.length).toBeLessThan(300);
    const digits = await refused(
      '/get-online-features',
      `{"entities":{"customer_id":[${'9'.repeat(4_300)}]},"features":["customer_profile:current_balance"]}`,
    );
    expect(digits).toMatch(
      /^entities\.customer_id\[0\]: expected a string, got \(an integer of about 430\d digits\)$/,
    );
    // Longer literals are refused by the parser, before a slow conversion to bigint.
    const longer = await server.post(
      '/get-online-features',
      `{"entities":{"customer_id":[${'9'.repeat(4_000_000)}]},"features":["customer_profile:current_balance"]}`,
    );
    expect(longer.status).toBe(400);
    expect(errorOf(longer).message).toMatch(/an integer of 4000000 digits; at most 4300 are read/);
  });
});
