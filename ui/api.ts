/**
 * Calls to Trove's HTTP API with the key the user entered. JSON is read keeping every digit of
 * integers beyond 2^53 (as bigint), so an int64 feature shows as the server sent it.
 */
import { readKey } from './session-key.ts';

/** An answer other than 2xx, with the API's error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const keepBigIntegers: Reviver = (_key, value, context) =>
  typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source
    ? BigInt(context.source)
    : value;

/** Parses JSON text; integers too large for a double become bigint. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, keepBigIntegers as Parameters<typeof JSON.parse>[1]);
}

/** JSON text of a value; bigints written as their digits. */
export function jsonText(value: unknown): string {
  const marked = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big${v}` : v));
  return marked.replace(/"\\u0000big(-?\d+)"/g, '$1');
}

/** Listeners told when the server refuses the key (it was revoked, or the server restarted with others). */
const onUnauthorized = new Set<() => void>();
export function whenUnauthorized(listener: () => void): () => void {
  onUnauthorized.add(listener);
  return () => onUnauthorized.delete(listener);
}

/** GET or POST to the API; resolves to the parsed body, rejects with ApiError. */
export async function api<T>(path: string, init: { body?: unknown; key?: string } = {}): Promise<T> {
  const key = init.key ?? readKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers,
      ...(init.body !== undefined ? { body: jsonText(init.body) } : {}),
    });
  } catch (err) {
    throw new ApiError(
      0,
      'NETWORK',
      `the server did not answer: ${err instanceof Error ? err.message : err}`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length > 0 ? parseJson(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const failure = new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? `${path} answered ${response.status}`,
    );
    if (response.status === 401 && init.key === undefined) for (const listener of onUnauthorized) listener();
    throw failure;
  }
  return body as T;
}
