/**
 * Entity column names come from the client and become DuckDB identifiers: names DuckDB cannot hold
 * (empty, a leading byte-order mark, a NUL, two names equal but for case) are the client's error
 * (400), not the store's (503); names carrying SQL are quoted, passed through, and run nothing.
 */
import { access, rm } from 'node:fs/promises';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INJECTION_TARGETS } from './fuzz-requests.ts';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

const ARROW = 'application/vnd.apache.arrow.stream';
const FEATURES = ['driver_hourly_stats:conv_rate'];
let server: TestServer;

beforeAll(async () => {
  for (const target of INJECTION_TARGETS) await rm(target, { force: true });
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

function entities(extra: Record<string, unknown[]>): Record<string, unknown[]> {
  return { driver_id: [1001], event_timestamp: ['2024-01-02T00:00:00Z'], ...extra };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe('entity column names', () => {
  it.each([
    ['empty', { '': [1] }],
    ['a byte-order mark', { '\uFEFF': [1] }],
    ['starting with a byte-order mark', { '\uFEFFlabel': [1] }],
    ['holding a NUL', { 'label\u0000"; --': [1] }],
    ['equal to another but for case', { DRIVER_ID: [1001] }],
  ])('%s: 400 as JSON', async (_what, extra) => {
    const answer = await server.post('/get-historical-features', {
      entities: entities(extra),
      features: FEATURES,
    });
    expect(answer.status, answer.text).toBe(400);
    expect(errorOf(answer).code).toMatch(/INVALID_/);
  });

  it.each([
    ['a byte-order mark', '\uFEFF'],
    ['equal to another but for case', 'DRIVER_ID'],
  ])('%s: 400 as Arrow', async (_what, name) => {
    const body = tableToIPC(
      tableFromArrays({
        driver_id: BigInt64Array.from([1001n]),
        event_timestamp: [new Date('2024-01-02T00:00:00Z')],
        [name]: ['x'],
      }),
      'stream',
    );
    const answer = await server.request('POST', `/get-historical-features?features=${FEATURES[0]}`, body, {
      'content-type': ARROW,
    });
    expect(answer.status, answer.text).toBe(400);
  });

  it('carrying SQL: passed through as named, and nothing runs', async () => {
    const names = [
      `x"; COPY (SELECT 1) TO '${INJECTION_TARGETS[0]}'; --`,
      `label'); ATTACH '${INJECTION_TARGETS[2]}' AS x; --`,
    ];
    const answer = await fetch(`${server.base}/get-historical-features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        entities: entities(Object.fromEntries(names.map((n) => [n, ['v']]))),
        features: FEATURES,
      }),
    });
    expect(answer.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await answer.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'driver_id',
      'event_timestamp',
      ...names,
      'conv_rate',
    ]);
    for (const target of INJECTION_TARGETS) expect(await exists(target)).toBe(false);
  });
});
