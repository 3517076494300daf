/**
 * One batch of a materialization into the online store, retried when Redis is slow or briefly
 * gone. A Redis that stalls longer than a batch's time limit (a busy machine, a fork for a
 * snapshot, a failover) or a dropped connection would otherwise fail a whole long run on one late
 * reply. Writing a batch again is harmless: the newest-wins rule keeps every value as it should be,
 * and a finished batch can be sent as it is any number of times.
 */
import { UnavailableError } from '../errors.ts';
import type { OnlineStore } from '../online/online-store.ts';
import type { WriteBatch } from '../online/write-newest.ts';
import type { ViewLock } from './view-lock.ts';

/** Attempts per batch, waiting 0.5, 1 and 2 s between them. */
export const WRITE_ATTEMPTS = 4;

export async function writeWithRetries(
  store: OnlineStore,
  batch: WriteBatch,
  lock: Pick<ViewLock, 'check'>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.writeBatch(batch);
    } catch (err) {
      if (!(err instanceof UnavailableError) || attempt >= WRITE_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      // Another materializer may have taken the view meanwhile: then stop writing.
      lock.check();
    }
  }
}
