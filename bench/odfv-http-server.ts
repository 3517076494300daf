/**
 * Child process of the online.odfv benchmark: a feature repo applied from YAML, as a team writes
 * one, with a batch view `driver_stats` (fare_mean float64, trips int64, rating float32) pushed
 * online for ODFV_DRIVERS drivers, and the on-demand view `fare_ratio` (row form, `fare_vs_mean` =
 * the request's `fare` / `fare_mean`) over it. Trove's server as `trove serve` builds it answers
 * both sides of the pair (with and without the on-demand feature), so it is announced as both
 * ports of http-server-child.ts. Serves until SIGTERM, then removes its keys and folder.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/trove-config.ts';
import { FeatureStore } from '../src/feature-store.ts';
import { applyRepo } from '../src/registry/apply-repo.ts';
import { listenTrove, portOf } from './http-bench-store.ts';
import { fareMeanOf, ODFV_DEFS, ODFV_DRIVERS, ODFV_TRANSFORMS } from './odfv-online-repo.ts';
import { REDIS_URL } from './online-bench-common.ts';

const id = randomUUID().slice(0, 8);
const project = 'bench_odfv';
const dir = path.join(os.tmpdir(), `trove-${project}-${id}`);
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, 'trove.yaml'), `project: ${project}\n`);
await writeFile(path.join(dir, 'defs.yaml'), ODFV_DEFS);
await writeFile(path.join(dir, 'transforms.ts'), ODFV_TRANSFORMS);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-${project}-${id}`,
  TROVE_API_KEYS: '',
};
await applyRepo(await loadConfig(dir, env));
const store = await FeatureStore.open(dir, { env });
const drivers = Array.from({ length: ODFV_DRIVERS }, (_, i) => i);
await store.push({
  pushSourceName: 'driver_src',
  df: {
    driver_id: drivers,
    event_timestamp: drivers.map(() => new Date().toISOString()),
    fare_mean: drivers.map(fareMeanOf),
    trips: drivers.map((d) => d * 3),
    rating: drivers.map((d) => (d % 50) / 10),
  },
  to: 'online',
});
const trove = await listenTrove(store);
process.once('SIGTERM', () => {
  void (async () => {
    await trove.close();
    await store.teardown().catch(() => undefined);
    await store.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
process.stdout.write(`${JSON.stringify({ trove: portOf(trove), bare: portOf(trove) })}\n`);
