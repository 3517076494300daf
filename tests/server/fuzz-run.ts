/**
 * A long fuzz run against any server over HTTP: the loop the fuzz script and the hostile-input
 * drill share. Requests go out in batches of `concurrency`; every answer must be a 2xx or a 4xx JSON
 * error within the time limit, and a big integer where a route must refuse it a 4xx naming where.
 */
import fc from 'fast-check';
import { checkAnswer, type FuzzRequest, fuzzRequest, send } from './fuzz-requests.ts';

export interface FuzzRunOptions {
  total: number;
  concurrency?: number;
  arbitrary?: fc.Arbitrary<FuzzRequest>;
  /** fast-check seed, for a run that can be repeated. */
  seed?: number;
  /** Longest wait for one answer; a request past it counts as a failure. */
  timeoutMs?: number;
  /** Called after every `progressEvery` requests (and at the end). */
  onProgress?: (done: number, failures: number) => void | Promise<void>;
  progressEvery?: number;
}

export interface FuzzRunResult {
  requests: number;
  failures: number;
  /** The first few failures: request and what was wrong. */
  examples: string[];
  /** Answers by status code; 0 counts requests that got no answer. */
  statuses: Record<number, number>;
  /** The requests among them with a big integer in a known position, and their answers. */
  bigIntegers: { requests: number; statuses: Record<number, number> };
  seconds: number;
}

function describeRequest(r: FuzzRequest): string {
  const body =
    typeof r.body === 'string' ? r.body.slice(0, 120) : r.body ? `<${r.body.byteLength} bytes>` : '';
  return `${r.method} ${r.url.slice(0, 200)} (${r.contentType}) ${body}`;
}

/** Sends `total` fuzzed requests to `base`; resolves to what came back. */
export async function runFuzz(base: string, options: FuzzRunOptions): Promise<FuzzRunResult> {
  const concurrency = options.concurrency ?? 16;
  const arbitrary = options.arbitrary ?? fuzzRequest;
  const progressEvery = options.progressEvery ?? 10_000;
  const result: FuzzRunResult = {
    requests: 0,
    failures: 0,
    examples: [],
    statuses: {},
    bigIntegers: { requests: 0, statuses: {} },
    seconds: 0,
  };
  const count = (request: FuzzRequest, status: number) => {
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (!request.poison) return;
    result.bigIntegers.requests++;
    result.bigIntegers.statuses[status] = (result.bigIntegers.statuses[status] ?? 0) + 1;
  };
  const began = performance.now();
  const fail = (request: FuzzRequest, problem: string) => {
    result.failures++;
    if (result.examples.length < 20) result.examples.push(`${describeRequest(request)}: ${problem}`);
  };
  let batchNumber = 0;
  while (result.requests < options.total) {
    const batch = fc.sample(arbitrary, {
      numRuns: Math.min(1000, options.total - result.requests),
      ...(options.seed !== undefined ? { seed: options.seed + batchNumber++ } : {}),
    });
    for (let i = 0; i < batch.length; i += concurrency) {
      await Promise.all(
        batch.slice(i, i + concurrency).map(async (request) => {
          try {
            const answer = await send(base, request, options.timeoutMs);
            count(request, answer.status);
            const problem = checkAnswer(answer, request);
            if (problem) fail(request, problem);
          } catch (err) {
            count(request, 0);
            fail(request, `no answer: ${(err as Error).message}`);
          }
        }),
      );
      const before = result.requests;
      result.requests += Math.min(concurrency, batch.length - i);
      if (Math.floor(before / progressEvery) !== Math.floor(result.requests / progressEvery)) {
        await options.onProgress?.(result.requests, result.failures);
      }
    }
  }
  result.seconds = (performance.now() - began) / 1000;
  if (result.requests % progressEvery !== 0) await options.onProgress?.(result.requests, result.failures);
  return result;
}
