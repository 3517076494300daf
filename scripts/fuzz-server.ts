/**
 * The long fuzz run of the HTTP API (opt-in; `npm test` runs a few thousand): N hostile requests
 * (default 100 000) against a server on loopback backed by the Redis at REDIS_URL, checking every
 * answer is a 2xx or a 4xx JSON error, and printing heap use as it goes so growth shows.
 *
 *   node --expose-gc --import tsx scripts/fuzz-server.ts [N]
 */
import fc from 'fast-check';
import { checkAnswer, fuzzRequest, send } from '../tests/server/fuzz-requests.ts';
import { startTestServer } from '../tests/server/server-fixture.ts';

const total = Number(process.argv[2] ?? 100_000);
const concurrency = 16;
const server = await startTestServer({ options: { bodyLimitBytes: 64 * 1024, maxEntities: 100 } });
const gc = (globalThis as { gc?: () => void }).gc;
let failures = 0;
let done = 0;
const began = performance.now();
try {
  while (done < total) {
    const batch = fc.sample(fuzzRequest, { numRuns: Math.min(1000, total - done) });
    for (let i = 0; i < batch.length; i += concurrency) {
      const answers = await Promise.all(batch.slice(i, i + concurrency).map((r) => send(server.base, r)));
      answers.forEach((answer, k) => {
        const problem = checkAnswer(answer);
        if (problem) {
          failures++;
          const r = batch[i + k]!;
          console.error(`${r.method} ${r.url} (${r.contentType}) ${r.body?.slice(0, 120)}: ${problem}`);
        }
      });
    }
    done += batch.length;
    if (done % 10_000 === 0 || done === total) {
      gc?.();
      const heap = (process.memoryUsage().heapUsed / 1e6).toFixed(1);
      console.log(
        `${done} requests, ${failures} failures, heap ${heap} MB, ${((performance.now() - began) / 1000).toFixed(0)} s`,
      );
    }
  }
  const health = await server.get('/health');
  console.log(`health after the run: ${health.status}`);
  if (health.status !== 200) failures++;
} finally {
  await server.close();
}
process.exitCode = failures === 0 ? 0 : 1;
