/**
 * The long fuzz run of the HTTP API (opt-in; `npm test` runs a few thousand): N hostile requests
 * (default 100 000) against a server on loopback backed by the Redis at REDIS_URL, checking every
 * answer is a 2xx or a 4xx JSON error (a big integer nested where a route must refuse it: a 4xx
 * naming where), and printing heap use as it goes so growth shows. The
 * hostile-input drill runs the same loop against `trove serve` in its own process.
 *
 *   node --expose-gc --import tsx scripts/fuzz-server.ts [N]
 */
import { runFuzz } from '../tests/server/fuzz-run.ts';
import { startTestServer } from '../tests/server/server-fixture.ts';

const total = Number(process.argv[2] ?? 100_000);
const server = await startTestServer({ options: { bodyLimitBytes: 64 * 1024, maxEntities: 100 } });
const gc = (globalThis as { gc?: () => void }).gc;
let failures = 0;
try {
  const result = await runFuzz(server.base, {
    total,
    onProgress: (done, failed) => {
      gc?.();
      const heap = (process.memoryUsage().heapUsed / 1e6).toFixed(1);
      console.log(`${done} requests, ${failed} failures, heap ${heap} MB`);
    },
  });
  for (const example of result.examples) console.error(example);
  console.log(
    `${result.requests} requests in ${result.seconds.toFixed(0)} s; statuses ${JSON.stringify(result.statuses)}`,
  );
  console.log(
    `of which ${result.bigIntegers.requests} with a big integer nested in one position; statuses ${JSON.stringify(result.bigIntegers.statuses)}`,
  );
  failures = result.failures;
  const health = await server.get('/health');
  console.log(`health after the run: ${health.status}`);
  if (health.status !== 200) failures++;
} finally {
  await server.close();
}
process.exitCode = failures === 0 ? 0 : 1;
