import { afterEach, describe, expect, it } from 'vitest';
import { float32Text } from '../../src/online/float32-text.ts';
import { onlineJson } from '../../src/online/online-json.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry, openStore, writeRows } from './online-fixture.ts';

/** The shortest-digits search done the obvious way, as the reference. */
function reference(v: number): string {
  for (let d = 1; d < 9; d++) {
    const t = v.toPrecision(d);
    if (Math.fround(Number(t)) === v) return String(Number(t));
  }
  return String(Number(v.toPrecision(9)));
}

let store: OnlineStore | undefined;
afterEach(async () => {
  await store?.teardown();
  await store?.close();
  store = undefined;
});

describe('float32 text', () => {
  it('is the shortest decimal that reads back as the same float32', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let i = 0; i < 50_000; i++) {
      bits[0] = (Math.random() * 2 ** 32) >>> 0;
      const v = f[0]!;
      if (!Number.isFinite(v)) continue;
      const text = float32Text(v);
      expect(Math.fround(Number(text))).toBe(v);
      expect(text).toBe(reference(v));
    }
    expect(float32Text(Math.fround(0.432333))).toBe('0.432333');
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(Math.fround(1e-45))).toBe('1e-45');
    expect(float32Text(Math.fround(3.4028234663852886e38))).toBe('3.4028235e+38');
    expect(float32Text(-40)).toBe('-40');
  });

  it('prints float32 columns of an online answer with float32 digits, float64 with double digits', async () => {
    store = openStore();
    const registry = makeRegistry({
      views: [
        {
          name: 'v',
          entities: ['driver'],
          source: 'src',
          features: [
            { name: 'f32', type: 'float32' },
            { name: 'lf32', type: 'list<float32>' },
            { name: 'f64', type: 'float64' },
          ],
        },
      ],
    });
    await writeRows(store, registry, 'v', [
      { key: [1n], event: 1_700_000_000_000_000n, values: [0.432333, [0.1, null, 2.5], 0.432333] },
    ]);
    const answer = await store.read(registry, { entities: { driver_id: [1] }, features: ['v:*'] });
    expect(answer.results[1]!.values).toEqual([Math.fround(0.432333)]);
    const text = onlineJson(answer);
    expect(text).toContain('"values":[0.432333]');
    expect(text).toContain('"values":[[0.1,null,2.5]]');
    expect(text).toContain('"values":[0.432333],"statuses"');
    expect(text).not.toContain('0.43233299');
  });
});
