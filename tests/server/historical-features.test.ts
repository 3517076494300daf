/**
 * `/get-historical-features`: JSON or Arrow entity rows in, an Arrow IPC stream out, read back with
 * apache-arrow and (when python3 has pyarrow) with `pyarrow.ipc.open_stream`.
 */
import { spawnSync } from 'node:child_process';
import {
  Int64,
  makeVector,
  Table,
  TimestampMicrosecond,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

const ARROW = 'application/vnd.apache.arrow.stream';
const MAX = 9223372036854775807n;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const pushed = await server.post('/push', {
    push_source_name: 'driver_push',
    to: 'offline',
    df: {
      driver_id: [1001, 1002, 1001],
      event_timestamp: ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'],
      created: [null, null, null],
      conv_rate: [0.5, 0.25, 0.75],
      acc_rate: [1, 2, 3],
      avg_daily_trips: [10, 20, MAX],
      photo: [null, null, null],
      languages: [null, null, null],
      rating: [1, 2, 3],
    },
  });
  expect(pushed.status).toBe(200);
  await server.store.compute({ views: ['driver_hourly_stats'] });
});

afterAll(async () => {
  await server?.close();
});

const request = {
  entities: {
    driver_id: [1001, 1002, 1001, 5],
    event_timestamp: [
      '2024-01-01T12:00:00Z',
      '2024-01-03T00:00:00',
      '2024-01-03T00:00:00Z',
      '2024-01-03T00:00:00Z',
    ],
    label: [1, 0, 1, 0],
  },
  features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
};

async function fetchArrow(body: string | Uint8Array, type: string, query = ''): Promise<Response> {
  return fetch(`${server.base}/get-historical-features${query}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
}

describe('POST /get-historical-features', () => {
  it('answers an Arrow IPC stream of training rows in input order, labels kept', async () => {
    const res = await fetchArrow(JSON.stringify(request), 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(ARROW);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'driver_id',
      'event_timestamp',
      'label',
      'conv_rate',
      'avg_daily_trips',
    ]);
    expect(table.getChild('driver_id')!.toArray()).toEqual(new BigInt64Array([1001n, 1002n, 1001n, 5n]));
    expect([...table.getChild('conv_rate')!]).toEqual([0.5, 0.25, 0.75, null]);
    expect([...table.getChild('avg_daily_trips')!]).toEqual([10n, 20n, MAX, null]);
  });

  it('takes an Arrow IPC body with the features in the query string', async () => {
    const entities = new Table({
      driver_id: makeVector(new BigInt64Array([1002n, 1001n])),
      event_timestamp: vectorFromArray(
        [Date.UTC(2024, 0, 5), Date.UTC(2024, 0, 1, 6)],
        new TimestampMicrosecond('UTC'),
      ),
    });
    expect(entities.getChild('driver_id')!.type).toBeInstanceOf(Int64);
    const res = await fetchArrow(
      tableToIPC(entities, 'stream'),
      ARROW,
      '?features=driver_hourly_stats:conv_rate,driver_hourly_stats:acc_rate&full_feature_names=true',
    );
    expect(res.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'driver_id',
      'event_timestamp',
      'driver_hourly_stats__conv_rate',
      'driver_hourly_stats__acc_rate',
    ]);
    expect([...table.getChild('driver_hourly_stats__conv_rate')!]).toEqual([0.25, 0.5]);
  });

  it('answers 4xx JSON errors for bad requests', async () => {
    const unknown = await server.post('/get-historical-features', { ...request, features: ['nope:x'] });
    expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'UNKNOWN_FEATURE_VIEW']);
    const noKey = await server.post('/get-historical-features', {
      ...request,
      entities: { event_timestamp: ['2024-01-01T00:00:00Z'] },
    });
    expect(noKey.status).toBe(400);
    const badTime = await server.post('/get-historical-features', {
      ...request,
      entities: { driver_id: [1], event_timestamp: ['soon'] },
    });
    expect([badTime.status, errorOf(badTime).message]).toEqual([
      400,
      expect.stringMatching(/entities\.event_timestamp\[0\]/),
    ]);
    const ragged = await server.post('/get-historical-features', {
      ...request,
      entities: { driver_id: [1, 2], event_timestamp: ['2024-01-01T00:00:00Z'] },
    });
    expect(ragged.status).toBe(400);
    const notArrow = await server.request(
      'POST',
      '/get-historical-features?features=driver_hourly_stats:conv_rate',
      'garbage',
      {
        'content-type': ARROW,
      },
    );
    expect([notArrow.status, errorOf(notArrow).message]).toEqual([400, expect.stringMatching(/Arrow/)]);
    // Only this route takes Arrow bodies.
    const elsewhere = await server.request('POST', '/get-online-features', 'garbage', {
      'content-type': ARROW,
    });
    expect([elsewhere.status, errorOf(elsewhere).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    // Paths and SQL are never taken from a request.
    const path = await server.post('/get-historical-features', { ...request, entities: '/etc/passwd' });
    expect(path.status).toBe(400);
  });

  // CI installs pyarrow and sets TROVE_REQUIRE_PYARROW, so there this test always runs; elsewhere it
  // runs when python3 has pyarrow.
  const python = spawnSync('python3', ['-c', 'import pyarrow'], { encoding: 'utf8' });
  const runPython = python.status === 0 || process.env.TROVE_REQUIRE_PYARROW === '1';
  it.skipIf(!runPython)('is read by pyarrow.ipc.open_stream', async () => {
    const script = `
import json, sys, urllib.request
import pyarrow.ipc as ipc
req = urllib.request.Request(sys.argv[1] + "/get-historical-features", data=sys.argv[2].encode(),
                             headers={"content-type": "application/json"})
with urllib.request.urlopen(req) as res:
    reader = ipc.open_stream(res)
    table = reader.read_all()
print(json.dumps({"names": table.column_names, "rows": table.num_rows,
                  "trips": table.column("avg_daily_trips").to_pylist(),
                  "tz": str(table.schema.field("event_timestamp").type)}))
`;
    const out = await new Promise<string>((resolve, reject) => {
      import('node:child_process').then(({ execFile }) =>
        execFile('python3', ['-c', script, server.base, JSON.stringify(request)], (err, stdout, stderr) =>
          err ? reject(new Error(stderr || err.message)) : resolve(stdout),
        ),
      );
    });
    const parsed = JSON.parse(out);
    expect(parsed.names).toEqual(['driver_id', 'event_timestamp', 'label', 'conv_rate', 'avg_daily_trips']);
    expect(parsed.rows).toBe(4);
    expect(out).toContain(`[10, 20, ${MAX}, null]`);
    expect(parsed.tz).toBe('timestamp[us, tz=UTC]');
  });
});
