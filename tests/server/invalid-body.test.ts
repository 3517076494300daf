/**
 * Requests that fail their route's schema answer 400 with a message naming the field, the value
 * given and what was expected, whatever the value holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const FEATURES = ['driver_hourly_stats:conv_rate'];

async function invalid(url: string, body: unknown): Promise<string> {
  const answer = await server.post(url, body);
  const error = errorOf(answer);
  expect([answer.status, error.code]).toEqual([400, 'INVALID_REQUEST']);
  return error.message;
}

describe('schema errors name the value given', () => {
  it('a value of the wrong type', async () => {
    expect(await invalid('/get-online-features', { entities: { driver_id: 7 }, features: FEATURES })).toBe(
      'body.entities.driver_id: got 7, expected a list',
    );
    expect(
      await invalid('/get-online-features', {
        entities: { driver_id: [1] },
        features: FEATURES,
        full_feature_names: 'yes',
      }),
    ).toBe('body.full_feature_names: got "yes", expected true or false');
    expect(await invalid('/push', { push_source_name: 'customer_push' })).toBe(
      'body.df: missing, expected an object',
    );
  });

  it('a value outside an enum', async () => {
    expect(
      await invalid('/push', {
        push_source_name: 'customer_push',
        df: { customer_id: ['c1'] },
        to: 'everywhere',
      }),
    ).toBe('body.to: got "everywhere", expected one of online, offline, online_and_offline');
    const answer = await server.post('/get-historical-features?full_feature_names=yes', {
      entities: { driver_id: [1] },
      features: FEATURES,
    });
    expect([answer.status, errorOf(answer).message]).toEqual([
      400,
      'querystring.full_feature_names: got "yes", expected one of true, false',
    ]);
  });

  it('a string below its minimum length', async () => {
    expect(await invalid('/push', { push_source_name: '', df: { customer_id: ['c1'] } })).toBe(
      'body.push_source_name: got "", expected at least 1 character',
    );
  });

  it('a body a route checks itself', async () => {
    expect(await invalid('/get-historical-features', { entities: [1, 2], features: FEATURES })).toBe(
      'body.entities: got [1,2], expected an object',
    );
  });

  it('big integers, huge strings and odd keys, on one short line', async () => {
    expect(
      await invalid('/get-online-features', {
        entities: { driver_id: [1] },
        features: 123456789012345678901234567890n,
      }),
    ).toBe('body.features: got 123456789012345678901234567890, expected a list');
    const huge = await invalid('/get-online-features', {
      entities: { driver_id: [1] },
      features: 'x'.repeat(100_000),
    });
    expect(huge).toMatch(/^body\.features: got "x+… \(100000 characters\), expected a list$/);
    expect(huge.length).toBeLessThan(200);
    const oddKey = await invalid('/get-online-features', {
      entities: { 'driver\nid': 1, [`k${'y'.repeat(10_000)}`]: 2 },
      features: FEATURES,
    });
    expect(oddKey).toMatch(
      /^body\.entities\["driver\\nid"\]: got 1, expected a list; body\.entities\["ky+…\]: got 2/,
    );
    expect(oddKey).not.toContain('\n');
    expect(oddKey.length).toBeLessThan(400);
  });
});
