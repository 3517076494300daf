import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { model, type Row, readTags, registry, rowArb, tagOf } from './newest-wins-model.ts';
import { openStore, uniquePrefix, writeRows } from './online-fixture.ts';

/**
 * Random writes, out of order, duplicated and split between two racing clients, must leave each
 * entity with the row of greatest (event, created), a null created ranking lowest. A row's value is
 * derived from its order key, so equal keys always carry equal values and the model is exact.
 */

function toWrite(r: Row) {
  return {
    key: [BigInt(r.entity)],
    event: BigInt(r.event) * 1_000_000n,
    created: r.created === null ? null : BigInt(r.created),
    values: [tagOf(r)],
  };
}

const stores: OnlineStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe('newest (event, created) wins', () => {
  it('whatever the order, batching, duplication and racing clients', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(rowArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.array(rowArb, { minLength: 1, maxLength: 12 }), { maxLength: 6 }),
        async (batchesA, batchesB) => {
          const prefix = uniquePrefix();
          const a = openStore(prefix);
          const b = openStore(prefix);
          stores.push(a, b);
          try {
            const run = async (store: OnlineStore, batches: Row[][]) => {
              for (const batch of batches) await writeRows(store, registry, 'v', batch.map(toWrite));
            };
            // Duplicates: client B also replays A's first batch.
            await Promise.all([run(a, batchesA), run(b, [...batchesB, batchesA[0]!])]);
            const expected = model([...batchesA.flat(), ...batchesB.flat()]);
            expect(await readTags(a)).toEqual(expected);
          } finally {
            await a.teardown();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
