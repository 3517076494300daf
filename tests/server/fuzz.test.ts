/**
 * Hostile requests: every answer is a 2xx or a 4xx JSON error, never a 5xx, the server keeps
 * serving, and memory stays flat over thousands of requests. The long run (100k requests) is
 * scripts/fuzz-server.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, fuzzRequest, send } from './fuzz-requests.ts';
import { startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ options: { bodyLimitBytes: 64 * 1024, maxEntities: 100 } });
});

afterAll(async () => {
  await server?.close();
});

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('fuzzed requests', () => {
  it('never get a 5xx; errors are JSON {error: {code, message}}', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (request) => {
        const answer = await send(server.base, request);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = checkAnswer(answer);
        if (problem) throw new Error(`${request.method} ${request.url} (${request.contentType}): ${problem}`);
      }),
      { numRuns: 1500 },
    );
    // The generators reach every class of rejection.
    for (const status of [400, 404, 413, 415])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect((await server.get('/health')).status).toBe(200);
  });

  it('keeps memory flat', async () => {
    const requests = fc.sample(fuzzRequest, { numRuns: 800, seed: 42 });
    const run = async () => {
      for (let i = 0; i < requests.length; i += 16) {
        await Promise.all(requests.slice(i, i + 16).map((r) => send(server.base, r)));
      }
    };
    await run();
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await run();
    await run();
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown, `heap grew by ${(grown / 1e6).toFixed(1)} MB`).toBeLessThan(16e6);
  });
});
