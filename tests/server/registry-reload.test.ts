/**
 * A new registry file is served as soon as the store has seen it: reads that come while it is being
 * loaded wait for it rather than get the registry it replaces, they share one load, and the online
 * route does not refuse a request by the registry it reuses for planning when a newer one takes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '../../src/registry/registry.ts';
import { startTestServer, type TestServer, testDefinitions } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('registry reload', () => {
  it('gives no read the replaced registry once a turn has seen the new file', async () => {
    const read = { entities: { driver_id: [1001] }, features: ['driver_profile:rating'] };
    await server.store.getOnlineFeatures(read);
    const next = testDefinitions();
    next.featureViews = next.featureViews.filter((v) => v.name !== 'driver_profile');
    next.featureServices = [];
    await server.apply(next);
    await nextTurn();
    // Reads arriving together: the first sees the new file and starts loading it.
    const reads = [1, 2, 3].map(() => server.store.getOnlineFeatures(read));
    for (const r of reads) await expect(r).rejects.toThrow(/driver_profile/);
    // And in the turns after, while nothing changed, they still see it.
    await nextTurn();
    await expect(server.store.getOnlineFeatures(read)).rejects.toThrow(/driver_profile/);
  });

  it('loads a changed file once, however many turns ask for it meanwhile', async () => {
    const next = testDefinitions();
    next.featureViews.push({ ...next.featureViews[0]!, name: 'customer_profile_v9' });
    await server.apply(next);
    await nextTurn();
    // Reading a file takes several turns (open, stat, read, close); each turn asks again.
    const pending: Promise<Registry>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      pending.push(server.store.registry());
      await nextTurn();
    }
    const loaded = new Set(await Promise.all(pending));
    expect(loaded.size).toBe(1);
    expect([...loaded][0]!.featureView('customer_profile_v9')).toBeDefined();
  });

  it('answers a request valid under a just-applied registry, though the one reused for planning refuses it', async () => {
    const read = { entities: { driver_id: [1001] }, features: ['customer_profile:current_balance'] };
    // The route now holds a registry in which customer_profile is keyed on customer_id.
    const before = await server.post('/get-online-features', read);
    expect(before.status).toBe(400);
    const next = testDefinitions();
    const view = next.featureViews.find((v) => v.name === 'customer_profile')!;
    if (view.kind === 'onDemand') throw new Error('customer_profile reads a source');
    view.entities = ['driver'];
    view.source = 'driver_push';
    await server.apply(next);
    const after = await server.post('/get-online-features', read);
    expect(after.status, after.text).toBe(200);
  });
});
