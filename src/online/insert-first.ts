/**
 * Whether a batch of newest-wins writes goes first as plain `HSETNX` commands, the script then
 * getting only the rows whose field was set already. A field not yet set holds nothing a row could
 * be older than, so `HSETNX` keeps the rule, at about half the Redis CPU of the script per row (no
 * Lua call, no read before the write): a first materialization, a new view, a new key prefix.
 * Where most fields are set already (a view materialized again) the `HSETNX` is wasted work and a
 * second round trip, so after a batch that inserted fewer than half its rows, batches go straight
 * to the script, and every PROBE_EVERY-th one tries inserts again to notice when that changes.
 */

/** Script-only batches between two that try inserts first again. */
export const PROBE_EVERY = 8;

export class InsertFirst {
  private scriptOnly = false;
  private sinceProbe = 0;

  /** Whether the next batch should try inserts first. */
  next(): boolean {
    if (!this.scriptOnly) return true;
    if (++this.sinceProbe < PROBE_EVERY) return false;
    this.sinceProbe = 0;
    return true;
  }

  /** What a batch that tried inserts first found: `inserted` of its `rows` were set by them. */
  observe(rows: number, inserted: number): void {
    this.scriptOnly = inserted * 2 < rows;
    this.sinceProbe = 0;
  }
}
