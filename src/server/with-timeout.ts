/**
 * Bounds how long a request waits on a store: a stalled Redis or file system answers 503 in bounded
 * time instead of holding the connection (and the client) indefinitely. The store call itself is
 * not cancelled; its eventual result or failure is dropped.
 */
import type { FastifyBaseLogger } from 'fastify';
import { TroveError, UnavailableError } from '../errors.ts';

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  // A late rejection must not surface as an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a store call with a deadline (none when `ms` is undefined: long jobs). Errors the store raises on purpose (TroveError) pass through
 * with their status; anything else (a dropped Redis connection, an I/O error) means the store could
 * not do its work, answered as 503 and logged in full.
 */
export async function callStore<T>(
  work: () => Promise<T>,
  ms: number | undefined,
  what: string,
  log: FastifyBaseLogger,
): Promise<T> {
  try {
    return ms === undefined ? await work() : await withTimeout(work(), ms, what);
  } catch (err) {
    if (err instanceof TroveError) throw err;
    log.error({ err }, `${what} failed`);
    throw new UnavailableError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads the registry; a registry that cannot be read is the server's problem, not the caller's. */
export async function readRegistry<T>(read: () => Promise<T>, ms: number): Promise<T> {
  try {
    return await withTimeout(read(), ms, 'the registry');
  } catch (err) {
    if (err instanceof UnavailableError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new UnavailableError(`the registry cannot be read: ${reason}`);
  }
}
