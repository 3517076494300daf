/**
 * Hostile requests: every answer is a 2xx or a 4xx JSON error, never a 5xx (a big integer nested
 * where a route must refuse it: a 4xx naming where), the server keeps serving, and memory stays
 * flat over thousands of requests. The long run (100k requests) is
 * scripts/fuzz-server.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigIntegerRequest } from './fuzz-big-integers.ts';
import { checkAnswer, fuzzRequest, POST_ROUTES, send } from './fuzz-requests.ts';
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
        const problem = checkAnswer(answer, request);
        if (problem) throw new Error(`${request.method} ${request.url} (${request.contentType}): ${problem}`);
      }),
      { numRuns: 1500 },
    );
    // The generators reach every class of rejection.
    for (const status of [400, 404, 413, 415])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect((await server.get('/health')).status).toBe(200);
  });

  it('refuse a big integer nested anywhere in any route with a 4xx naming the column and row, or field', async () => {
    const routes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(bigIntegerRequest, async (request) => {
        const answer = await send(server.base, request);
        const route = `${request.method} ${request.url.replace(/\/-?\d+$|\?.*$/, '')} ${answer.status}`;
        routes.set(route, (routes.get(route) ?? 0) + 1);
        const problem = checkAnswer(answer, request);
        if (problem) throw new Error(`${request.method} ${request.url} ${String(request.body)}: ${problem}`);
      }),
      { numRuns: 600 },
    );
    const seen = [...routes.keys()].join('\n');
    for (const route of POST_ROUTES) expect(seen).toMatch(new RegExp(`^POST ${route} 400$`, 'm'));
    expect(seen).toMatch(/^GET \/feature-views 404$/m);
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
