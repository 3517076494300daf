/**
 * Requests sent byte for byte with what each must get back, judged against the API's contract
 * (status, and for errors the `{"error": {"code", "message"}}` shape). Every answer is kept, so a
 * drill can search them for what must never appear in one.
 */
import { type RawAnswer, rawHead, rawRequest } from '../../tests/helpers/raw-http.ts';
import type { Header } from './api-key-variants.ts';

/**
 * What a request must get: an exact status (and error code); `refused`: 401 or 403; `denied`: any
 * 4xx (a path near a route's may be no route at all); `accepted`: 2xx or a redirect.
 */
export interface Expectation {
  status: number | 'refused' | 'denied' | 'accepted';
  code?: string;
}

export interface Attempt {
  what: string;
  method: string;
  target: string;
  headers: readonly Header[];
  body?: string;
  /** Bytes sent instead of a request built from the fields above. */
  raw?: string | Buffer;
  expect: Expectation;
}

/** An error answer in the API's shape, and nothing else in the body; undefined otherwise. */
export function errorShape(answer: RawAnswer): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(answer.body) as unknown;
    if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1) return undefined;
    const error = (body as { error?: unknown }).error;
    if (typeof error !== 'object' || error === null) return undefined;
    const { code, message } = error as { code?: unknown; message?: unknown };
    return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}

const DEFAULT_CODES: Record<number, string> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN' };

function statusMatches(expected: Expectation['status'], status: number): boolean {
  // A redirect is an answer too (GET /ui sends the browser to /ui/).
  if (expected === 'accepted') return status >= 200 && status < 400;
  if (expected === 'refused') return status === 401 || status === 403;
  if (expected === 'denied') return status >= 400 && status < 500;
  return status === expected;
}

/** Why an answer does not meet its expectation, or undefined when it does. */
export function mismatch(attempt: Attempt, answer: RawAnswer): string | undefined {
  const got = `${answer.status} ${answer.body.slice(0, 120)}`;
  if (!statusMatches(attempt.expect.status, answer.status)) return got;
  if (attempt.expect.status === 'accepted') return undefined;
  if (attempt.method === 'HEAD') {
    return answer.headers['content-type']?.startsWith('application/json') ? undefined : `${got} (not JSON)`;
  }
  const error = errorShape(answer);
  if (!error) return `${got} (not the API's error shape)`;
  const wanted = attempt.expect.code ?? DEFAULT_CODES[answer.status];
  if (wanted !== undefined && error.code !== wanted) return `${got} (code ${error.code}, expected ${wanted})`;
  return undefined;
}

export class HttpAttempts {
  /** Every answer, as received (status, headers, body). */
  readonly answers: string[] = [];
  sent = 0;

  constructor(readonly port: number) {}

  /** The bytes of a request head to `target` on this server, with `Connection: close`. */
  head(method: string, target: string, headers: readonly Header[]): string {
    return rawHead(method, target, [['Host', `127.0.0.1:${this.port}`], ...headers, ['Connection', 'close']]);
  }

  async send(attempt: Attempt): Promise<RawAnswer> {
    const headers: Header[] = [...attempt.headers];
    if (attempt.body !== undefined) {
      headers.push(
        ['Content-Type', 'application/json'],
        ['Content-Length', String(Buffer.byteLength(attempt.body))],
      );
    }
    const bytes = attempt.raw ?? this.head(attempt.method, attempt.target, headers) + (attempt.body ?? '');
    this.sent++;
    // Materializations answer when done; give them time.
    const answer = await rawRequest(this.port, bytes, 120_000);
    this.answers.push(`${answer.status} ${JSON.stringify(answer.headers)} ${answer.body}`);
    return answer;
  }

  /** Sends each attempt in turn; resolves to those that did not get what they should. */
  async run(attempts: readonly Attempt[]): Promise<string[]> {
    const failures: string[] = [];
    for (const attempt of attempts) {
      const label = `${attempt.method} ${attempt.target} ${attempt.what}`;
      try {
        const wrong = mismatch(attempt, await this.send(attempt));
        if (wrong) failures.push(`${label}: ${wrong}`);
      } catch (err) {
        failures.push(`${label}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}

/** `n of n as expected`, or how many went wrong and the first few. */
export function attemptsSummary(failures: readonly string[], total: number): string {
  return failures.length === 0
    ? `${total} of ${total} as expected`
    : `${failures.length} of ${total} wrong: ${failures.slice(0, 4).join('; ')}`;
}
