/**
 * `trove compute` of a repo that kills itself with SIGKILL at an exact step of the partition swap,
 * for drills that must land a kill -9 between two renames (a window of microseconds that a kill
 * from outside rarely hits): `node --import tsx compute-child.ts REPO STEP N`, where the process
 * dies at the N-th (1-based) swap step named STEP (`journal-written` or `partition-swapped`),
 * counted over every view in compute order.
 */
import { FeatureStore } from '../../src/feature-store.ts';

const [repo = '.', step = 'journal-written', n = '1'] = process.argv.slice(2);
let seen = 0;
const store = await FeatureStore.open(repo);
await store.compute({
  failpoint: (at) => {
    if (at === step && ++seen === Number(n)) process.kill(process.pid, 'SIGKILL');
  },
});
await store.close();
