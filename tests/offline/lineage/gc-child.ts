/**
 * Runs `trove gc`'s work on an offline store in a process of its own, for the kill test: prints
 * `started` before the first removal and `done` at the end. Each removal is slowed by a few
 * milliseconds so a kill lands between removals as well as inside one.
 */
import { collectGarbage } from '../../../src/offline/lineage/gc.ts';

const { store, retentionSeconds, slowMs } = JSON.parse(process.argv[2] ?? '{}') as {
  store: string;
  retentionSeconds: number;
  slowMs: number;
};
const pause = new Int32Array(new SharedArrayBuffer(4));
let started = false;
await collectGarbage(store, retentionSeconds, {
  onRemove: () => {
    if (!started) {
      started = true;
      process.stdout.write('started\n');
    }
    Atomics.wait(pause, 0, 0, slowMs);
  },
});
process.stdout.write('done\n');
