/**
 * The reference model of the newest-wins rule, shared by the property tests: rows carry a value
 * derived from their order key, so equal keys always carry equal values and the model is exact.
 */
import fc from 'fast-check';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry } from './online-fixture.ts';

export const registry = makeRegistry({
  views: [{ name: 'v', entities: ['driver'], source: 'src', features: [{ name: 'tag', type: 'string' }] }],
});

export interface Row {
  entity: number;
  event: number;
  created: number | null;
}

export const rowArb = fc.record({
  entity: fc.integer({ min: 0, max: 4 }),
  event: fc.integer({ min: 0, max: 6 }),
  created: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
});

export function tagOf(r: Row): string {
  return `${r.event}/${r.created ?? 'null'}`;
}

function ranks(a: Row, b: Row): number {
  if (a.event !== b.event) return a.event - b.event;
  return (a.created ?? -1) - (b.created ?? -1);
}

/** Expected tag per entity: the greatest row by (event, created). */
export function model(rows: readonly Row[]): Map<number, string> {
  const best = new Map<number, Row>();
  for (const r of rows) {
    const cur = best.get(r.entity);
    if (!cur || ranks(r, cur) > 0) best.set(r.entity, r);
  }
  return new Map([...best].map(([e, r]) => [e, tagOf(r)]));
}

export async function readTags(store: OnlineStore, reg = registry): Promise<Map<number, string>> {
  const ids = [0, 1, 2, 3, 4];
  const res = await store.read(reg, { entities: { driver_id: ids }, features: ['v:tag'] });
  const out = new Map<number, string>();
  res.results[1]!.values.forEach((v, i) => {
    if (v !== null) out.set(ids[i]!, v as string);
  });
  return out;
}
