/**
 * The materializer worker waits for a view another process is materializing instead of skipping
 * it, and stops waiting at once when told to stop.
 */
import { randomUUID } from 'node:crypto';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaterializerWorker } from '../../materializer/worker.ts';
import { loadConfig } from '../../src/config/trove-config.ts';
import { generateExampleData } from '../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { ViewLock } from '../../src/materialize/view-lock.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { makeTempRepo, PROJECT_ROOT, type TempRepo } from '../helpers/temp-repo.ts';

const VIEW = 'customer_profile';

let repo: TempRepo;
let store: FeatureStore;

beforeAll(async () => {
  repo = await makeTempRepo();
  for (const file of ['trove.yaml', 'ride_hailing.yaml', 'transforms.ts'])
    await cp(path.join(PROJECT_ROOT, 'templates', 'init', file), path.join(repo.dir, file));
  await generateExampleData(path.join(repo.dir, 'data'), { rows: 200 });
  const env = { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-worker-${randomUUID().slice(0, 8)}` };
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
});
afterAll(async () => {
  if (store) {
    await store.teardown();
    await store.close();
  }
  await repo?.remove();
});

/** A worker whose log lines (pino's JSON) land in `lines`. */
function worker(lines: { msg: string; view?: string }[]): MaterializerWorker {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return new MaterializerWorker(store, logger, { reclaimEverySeconds: 0 });
}

describe('the materializer worker', () => {
  it('waits for a view another process holds and materializes it once that process lets go', async () => {
    const lines: { msg: string; view?: string }[] = [];
    const w = worker(lines);
    const held = await ViewLock.acquire(store.online(), VIEW);
    setTimeout(() => void held.release(), 800);
    await w.cycle();
    expect(lines.filter((l) => l.view === VIEW).map((l) => l.msg)).toEqual([
      'waiting for a view another process is materializing',
      'materialized view',
    ]);
    expect(w.views.get(VIEW)?.lastSuccess).not.toBeNull();
    expect(w.lastCycleOk).toBe(true);
  });

  it('stops waiting at once when stopped', async () => {
    const lines: { msg: string; view?: string }[] = [];
    const w = worker(lines);
    const held = await ViewLock.acquire(store.online(), VIEW);
    try {
      w.start();
      const deadline = Date.now() + 30_000;
      while (!lines.some((l) => l.msg === 'waiting for a view another process is materializing')) {
        if (Date.now() > deadline) throw new Error('the worker never waited');
        await new Promise((r) => setTimeout(r, 20));
      }
      const stoppedAt = Date.now();
      await w.stop();
      expect(Date.now() - stoppedAt).toBeLessThan(1000);
      expect(lines.some((l) => l.view === VIEW && l.msg === 'materialized view')).toBe(false);
    } finally {
      await held.release();
    }
  });
});
