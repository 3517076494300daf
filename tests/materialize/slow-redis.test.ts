/**
 * A materialization whose Redis stops answering for longer than the command timeout, in the middle
 * of writing: the batches that timed out are written again once Redis answers, and the run
 * finishes with the full state, instead of failing on one late reply.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import { materialize } from '../../src/materialize/materialize.ts';
import { readWatermark } from '../../src/materialize/watermarks.ts';
import { openStore, uniquePrefix } from '../online/online-fixture.ts';
import { KILL_END, KILL_START, killRegistry, writeKillData } from './kill-fixture.ts';
import { makeConfig, makeContext, tempDir } from './offline-fixture.ts';

let dir: { dir: string; remove: () => Promise<void> };
let redis: RedisServerProcess;

beforeAll(async () => {
  dir = await tempDir();
  await writeKillData(path.join(dir.dir, 'offline'), 100_000, 20_000);
  redis = await RedisServerProcess.start();
});
afterAll(async () => {
  await redis.stop();
  await dir.remove();
});

describe('materializing while Redis stalls', () => {
  it('writes the timed-out batches again and finishes with every value', async () => {
    const prefix = uniquePrefix();
    const store = openStore(prefix, { redis: redis.url, commandTimeoutMs: 500 });
    const probe = openStore(prefix, { redis: redis.url });
    try {
      const config = makeConfig(dir.dir, prefix, { batchSize: 500 });
      const run = materialize(makeContext(config, killRegistry, store), {
        start: new Date(KILL_START),
        end: new Date(KILL_END),
      });
      // Stall Redis (SIGSTOP) for 1.5 s, three command timeouts, once the first values are in.
      while ((await probe.client.dbsize()) < 2) await new Promise((r) => setTimeout(r, 2));
      redis.pause();
      await new Promise((r) => setTimeout(r, 1500));
      redis.resume();
      const [stats] = await run;
      // Every driver the data has (about 19.9k of 20k ids), each in its own hash, and the watermarks.
      expect(stats?.rows).toBeGreaterThan(19_000);
      expect(await probe.client.dbsize()).toBe((stats?.rows ?? 0) + 1);
      expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBeDefined();
    } finally {
      await store.close();
      await probe.close();
    }
  });
});
