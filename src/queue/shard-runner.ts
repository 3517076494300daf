/**
 * The coordinating side of a distributed run, whatever its shards' kind: puts a batch of shards on
 * the queue, follows the rows workers report (only rows past a shard's best report count, so a shard
 * tried again never counts a row twice), tells each shard's end, and waits for all of them. The
 * caller's lock is looked at while it waits: a lost lock ends the wait (the shards left still run,
 * harmlessly, since the caller commits nothing after it).
 */
import { type Job, Queue, QueueEvents } from 'bullmq';
import { type QueueRedisConfig, queueConnection } from './queue-connection.ts';
import {
  SHARD_JOB_OPTIONS,
  SHARD_QUEUE,
  type ShardData,
  type ShardResult,
  shardQueuePrefix,
} from './shard-queue.ts';

/** How often the runner looks whether its caller still holds its lock. */
const LOCK_LOOK_MS = 500;
/** How long one wait for a shard lasts before the lock is looked at again. */
const WAIT_ROUND_MS = 5000;

/** What a batch of shards did: each shard's result (in order) or why it failed for good. */
export interface ShardOutcome<R extends ShardResult> {
  results: R[];
  failures: Error[];
}

export interface RunShardsArgs<D extends ShardData, R extends ShardResult> {
  shards: readonly D[];
  /** Rows handled since the last call, over every shard of the batch. */
  advance(rows: number): void;
  /** A shard finished: what it returned, and the seconds from queueing to its end. */
  finished?(shard: D, result: R, seconds: number): void;
  /** Throws when the caller lost the lock it runs the batch under. */
  check(): void;
}

export class ShardRunner {
  private readonly queue: Queue<ShardData, ShardResult>;
  private readonly events: QueueEvents;
  /** Rows reported so far by each shard job under way, and where to report more. */
  private readonly reported = new Map<string, { rows: number; advance: (rows: number) => void }>();

  private constructor(redis: QueueRedisConfig, keyBase: string) {
    const prefix = shardQueuePrefix(keyBase);
    this.queue = new Queue(SHARD_QUEUE, { connection: queueConnection(redis), prefix });
    this.queue.on('error', () => {});
    // Each shard waited for listens for the queue's closing.
    this.queue.setMaxListeners(0);
    this.events = new QueueEvents(SHARD_QUEUE, { connection: queueConnection(redis), prefix });
    this.events.on('error', () => {});
    this.events.on('progress', ({ jobId, data }) => {
      const rows = typeof data === 'object' && data !== null && 'rows' in data ? Number(data.rows) : 0;
      this.count(jobId, rows);
    });
  }

  static async open(redis: QueueRedisConfig, keyBase: string): Promise<ShardRunner> {
    const runner = new ShardRunner(redis, keyBase);
    await Promise.all([runner.queue.waitUntilReady(), runner.events.waitUntilReady()]);
    return runner;
  }

  /** Whether any worker listens to the queue now. */
  async workers(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  private count(jobId: string, rows: number): void {
    const seen = this.reported.get(jobId);
    // A shard tried again starts counting from 0: only rows past its best report count.
    if (seen && rows > seen.rows) {
      seen.advance(rows - seen.rows);
      seen.rows = rows;
    }
  }

  /** Queues `shards` and waits for every one; throws only when the caller's lock was lost. */
  async run<D extends ShardData, R extends ShardResult>(args: RunShardsArgs<D, R>): Promise<ShardOutcome<R>> {
    const jobs = await this.queue.addBulk(
      args.shards.map((data) => ({ name: `${data.kind}:${data.view}`, data, opts: SHARD_JOB_OPTIONS })),
    );
    for (const job of jobs) this.reported.set(job.id!, { rows: 0, advance: args.advance });
    let lost: Error | undefined;
    const lockLook = setInterval(() => {
      try {
        args.check();
      } catch (err) {
        lost = err as Error;
      }
    }, LOCK_LOOK_MS);
    try {
      const started = Date.now();
      const settled = await Promise.allSettled(
        jobs.map(async (job) => {
          const result = (await this.waitFor(job, () => lost)) as R;
          this.count(job.id!, result.rows);
          args.finished?.(job.data as D, result, (Date.now() - started) / 1000);
          return result;
        }),
      );
      if (lost) throw lost;
      args.check();
      return {
        results: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
        failures: settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : [])),
      };
    } finally {
      clearInterval(lockLook);
      for (const job of jobs) this.reported.delete(job.id!);
    }
  }

  private async waitFor(
    job: Job<ShardData, ShardResult>,
    lost: () => Error | undefined,
  ): Promise<ShardResult> {
    // Waits in rounds so a lost lock ends the wait.
    for (;;) {
      try {
        return (await job.waitUntilFinished(this.events, WAIT_ROUND_MS)) as ShardResult;
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
