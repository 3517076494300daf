/**
 * The HTTP answer writes float32 features with float32 digits: a float32 0.1 (held as the double
 * 0.10000000149011612) is the JSON text `0.1`, as the producer wrote it, while float64 values keep
 * the double's shortest digits. NaN and the infinities keep the API's proto3 strings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { startTestServer, type TestServer } from './server-fixture.ts';

const definitions: RepoDefinitions = {
  entities: [{ name: 'item', joinKeys: [{ name: 'item_id', type: 'int64' }] }],
  sources: [{ kind: 'push', name: 'item_push', timestampField: 'event_timestamp' }],
  featureViews: [
    {
      kind: 'batch',
      online: true,
      offline: true,
      name: 'item_stats',
      entities: ['item'],
      source: 'item_push',
      ttl: 0,
      features: [
        { name: 'f32', type: 'float32' },
        { name: 'f64', type: 'float64' },
        { name: 'f32s', type: 'list<float32>' },
        { name: 'f64s', type: 'list<float64>' },
      ],
    },
  ],
  featureServices: [],
};

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ definitions });
  await server.store.push({
    pushSourceName: 'item_push',
    to: 'online',
    df: {
      item_id: [1n, 2n],
      event_timestamp: ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
      f32: [Math.fround(0.1), Number.NaN],
      f64: [0.1, Number.NEGATIVE_INFINITY],
      f32s: [[Math.fround(0.1), null, Math.fround(-2.5e-7), Number.POSITIVE_INFINITY], []],
      f64s: [[0.1, Math.fround(0.1)], null],
    },
  });
});

afterAll(async () => {
  await server?.close();
});

/** The raw JSON text of each column's `values`, in answer order. */
function valueTexts(text: string): string[] {
  return [...text.matchAll(/"values":(\[.*?\]),"statuses"/g)].map((m) => m[1]!);
}

describe('float32 features in the HTTP answer', () => {
  it('writes float32 with float32 digits and float64 with double digits', async () => {
    const answer = await server.post('/get-online-features', {
      entities: { item_id: [1, 2, 3] },
      features: ['item_stats:f32', 'item_stats:f64', 'item_stats:f32s', 'item_stats:f64s'],
    });
    expect(answer.status).toBe(200);
    expect(valueTexts(answer.text)).toEqual([
      '[1,2,3]',
      '[0.1,"NaN",null]',
      '[0.1,"-Infinity",null]',
      '[[0.1,null,-2.5e-7,"Infinity"],[],null]',
      '[[0.1,0.10000000149011612],null,null]',
    ]);
  });
});
