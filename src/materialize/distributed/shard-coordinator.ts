/**
 * The coordinating side of a distributed materialization: for each view of a run (its lock held by
 * the caller, see materialize.ts) it plans the view's shards, puts them on the queue, reports their
 * progress per shard and in total, and waits for all of them. Only when every shard of the view has
 * finished does it hand back the view's totals, so the caller moves the watermark once, after the
 * last row; a shard that still fails after its retries fails the view and leaves its watermark.
 */
import { randomUUID } from 'node:crypto';
import { type Job, Queue, QueueEvents } from 'bullmq';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { TroveError } from '../../errors.ts';
import { viewFolder } from '../../offline/offline-layout.ts';
import { utcDateOf } from '../../offline/parse-timestamp.ts';
import { partitionDates } from '../../offline/partition-swap.ts';
import type { OnlineStore } from '../../online/online-store.ts';
import type { ViewCodec } from '../../online/view-codec.ts';
import type { ViewRunStats } from '../materialize-view.ts';
import type { MicrosRange } from '../offline-rows.ts';
import type { MaterializeLog, ProgressReporter } from '../progress.ts';
import type { ViewLock } from '../view-lock.ts';
import { planShards, type ShardData, type ShardResult } from './shard.ts';
import { queueConnection, SHARD_JOB_OPTIONS, SHARD_QUEUE, shardQueuePrefix } from './shard-queue.ts';

/** Entity slices per partition day unless told otherwise. */
export const DEFAULT_SLICES = 4;

/** How often the coordinator looks whether it still holds the view's lock. */
const LOCK_LOOK_MS = 500;

export interface DistributedOptions {
  /** Entity slices per partition day (default 4): shards = days × slices. */
  slices?: number;
}

function invalid(slices: number): TroveError {
  return new TroveError(
    'INVALID_SHARDS',
    `slices per day: expected an integer from 1 to 1024, got ${slices}`,
  );
}

export class ShardCoordinator {
  private readonly queue: Queue<ShardData, ShardResult>;
  private readonly events: QueueEvents;
  private readonly slices: number;
  /** Rows reported so far by each shard job under way, for progress in total. */
  private readonly reported = new Map<string, { rows: number; progress: ProgressReporter }>();

  private constructor(
    private readonly config: ResolvedConfig,
    online: OnlineStore,
    private readonly log: MaterializeLog,
    options: DistributedOptions,
  ) {
    const slices = options.slices ?? DEFAULT_SLICES;
    if (!Number.isInteger(slices) || slices < 1 || slices > 1024) throw invalid(slices);
    this.slices = slices;
    const prefix = shardQueuePrefix(online.keys);
    this.queue = new Queue(SHARD_QUEUE, { connection: queueConnection(config.onlineStore), prefix });
    this.queue.on('error', () => {});
    // Each shard waited for listens for the queue's closing.
    this.queue.setMaxListeners(0);
    this.events = new QueueEvents(SHARD_QUEUE, { connection: queueConnection(config.onlineStore), prefix });
    this.events.on('error', () => {});
    this.events.on('progress', ({ jobId, data }) => {
      const seen = this.reported.get(jobId);
      const rows = typeof data === 'object' && data !== null && 'rows' in data ? Number(data.rows) : 0;
      // A shard tried again starts counting from 0: only rows past its best report count.
      if (seen && rows > seen.rows) {
        seen.progress.advance(rows - seen.rows);
        seen.rows = rows;
      }
    });
  }

  static async open(
    config: ResolvedConfig,
    online: OnlineStore,
    log: MaterializeLog,
    options: DistributedOptions = {},
  ): Promise<ShardCoordinator> {
    const c = new ShardCoordinator(config, online, log, options);
    await Promise.all([c.queue.waitUntilReady(), c.events.waitUntilReady()]);
    return c;
  }

  /** Materializes a view's range through the queue; resolves when every shard has finished. */
  async materializeView(args: {
    codec: ViewCodec;
    range: MicrosRange;
    lock: ViewLock;
    progress: ProgressReporter;
  }): Promise<ViewRunStats> {
    const { codec, range, lock, progress } = args;
    const view = codec.view.name;
    const first = range.start === undefined ? undefined : utcDateOf({ micros: range.start });
    const last = utcDateOf({ micros: range.end });
    const days = (await partitionDates(viewFolder(this.config.offlineStorePath, view))).filter(
      (d) => !(first && d < first) && d <= last,
    );
    const stats: ViewRunStats = { rows: 0, written: 0, newestEvent: null };
    progress.start(view, undefined);
    if (days.length === 0) return stats;
    const shards = planShards(
      {
        runId: randomUUID(),
        view,
        fingerprint: codec.fingerprint,
        start: range.start === undefined ? null : range.start.toString(),
        end: range.end.toString(),
      },
      days,
      this.slices,
    );
    if ((await this.queue.getWorkersCount()) === 0)
      this.log('no materializer takes shards yet; the run waits for one', { view, shards: shards.length });
    const jobs = await this.queue.addBulk(
      shards.map((data) => ({ name: view, data, opts: SHARD_JOB_OPTIONS })),
    );
    for (const job of jobs) this.reported.set(job.id!, { rows: 0, progress });
    this.log('queued shards', { view, shards: shards.length, days: days.length, slices: this.slices });

    let lost: Error | undefined;
    const lockLook = setInterval(() => {
      try {
        lock.check();
      } catch (err) {
        lost = err as Error;
      }
    }, LOCK_LOOK_MS);
    try {
      const settled = await Promise.allSettled(jobs.map((job) => this.waitFor(job, progress, () => lost)));
      const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
      if (lost) throw lost;
      if (failures.length > 0)
        throw new TroveError(
          'SHARD_FAILED',
          `feature view ${view}: ${failures.length} of ${jobs.length} shards failed after ${SHARD_JOB_OPTIONS.attempts} tries (first: ${failures[0]!.message}); watermark not moved`,
        );
      for (const s of settled) {
        if (s.status !== 'fulfilled') continue;
        stats.rows += s.value.rows;
        stats.written += s.value.written;
        if (s.value.newestEvent !== null) {
          const e = BigInt(s.value.newestEvent);
          if (stats.newestEvent === null || e > stats.newestEvent) stats.newestEvent = e;
        }
      }
      return stats;
    } finally {
      clearInterval(lockLook);
      for (const job of jobs) this.reported.delete(job.id!);
    }
  }

  private async waitFor(
    job: Job<ShardData, ShardResult>,
    progress: ProgressReporter,
    lost: () => Error | undefined,
  ): Promise<ShardResult> {
    const started = Date.now();
    // Waits in rounds so a lost lock ends the wait (the shards left still run, harmlessly).
    for (;;) {
      try {
        const result = (await job.waitUntilFinished(this.events, 5000)) as ShardResult;
        const seen = this.reported.get(job.id!);
        if (seen && result.rows > seen.rows) {
          progress.advance(result.rows - seen.rows);
          seen.rows = result.rows;
        }
        const { data } = job;
        progress.shard?.({
          view: data.view,
          day: data.day,
          index: data.index,
          count: data.count,
          rows: result.rows,
          written: result.written,
          seconds: (Date.now() - started) / 1000,
        });
        return result;
      } catch (err) {
        if (!(err instanceof Error) || !/timed out before finishing/.test(err.message)) throw err;
        const l = lost();
        if (l) throw l;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
