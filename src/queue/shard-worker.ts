/**
 * A worker process's consumer of the shard queue: it takes shards of every kind it has a handler
 * for and hands each to its kind's handler (materialize, compute, …), which knows what the shard
 * means. Here are only what all kinds share: the hold on a shard (renewed while it runs; a killed
 * worker's shard goes back on the queue once the hold lapses, through BullMQ's stalled-job check),
 * retries, and rows reported as the shard goes.
 */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { type QueueRedisConfig, queueConnection } from './queue-connection.ts';
import {
  SHARD_QUEUE,
  type ShardData,
  ShardRefused,
  type ShardResult,
  shardQueuePrefix,
} from './shard-queue.ts';

/** Least time between two progress reports of a shard. */
const PROGRESS_EVERY_MS = 500;

/** Structured log sink: a message and fields. */
export type ShardLog = (message: string, fields: Record<string, unknown>) => void;

/** What a handler gets beside its shard. */
export interface ShardContext {
  /** 1 for the first try. */
  attempt: number;
  /** Tells the coordinator `n` more rows were handled (sent at most every 0.5 s). */
  advance(n: number): void;
}

/** Works the shards of one kind. Throw ShardRefused for a shard that must not be tried again. */
export interface ShardHandler {
  readonly kind: string;
  run(shard: ShardData, context: ShardContext): Promise<ShardResult>;
  /** Frees what the handler keeps between shards (a DuckDB instance, say). */
  close?(): Promise<void>;
}

export interface ShardWorkerOptions {
  /** The online store's Redis, which holds the queue. */
  redis: QueueRedisConfig;
  /** The project's key base (project-key-base.ts). */
  keyBase: string;
  handlers: readonly ShardHandler[];
  log: ShardLog;
  /** Shards worked at once in this process (default 1: DuckDB already uses every core it is given). */
  concurrency?: number;
  /**
   * How long the worker's hold on a shard lasts without renewal: a killed worker's shard goes back
   * on the queue this long after its death, at most (default 30 s; env TROVE_SHARD_LOCK_MS).
   */
  holdMs?: number;
  /** Told when a shard is taken (for tests and logs that watch workers). */
  onShard?: (shard: ShardData, attempt: number) => void;
}

export class ShardWorker {
  private readonly worker: Worker<ShardData, ShardResult>;
  private readonly handlers: ReadonlyMap<string, ShardHandler>;

  constructor(private readonly options: ShardWorkerOptions) {
    this.handlers = new Map(options.handlers.map((h) => [h.kind, h]));
    const holdMs = options.holdMs ?? (Number(process.env.TROVE_SHARD_LOCK_MS) || 30_000);
    this.worker = new Worker<ShardData, ShardResult>(SHARD_QUEUE, (job) => this.process(job), {
      connection: queueConnection(options.redis),
      prefix: shardQueuePrefix(options.keyBase),
      concurrency: options.concurrency ?? 1,
      lockDuration: holdMs,
      stalledInterval: Math.max(500, Math.floor(holdMs / 2)),
      // A shard whose workers keep dying (out of memory, say) fails after this many, not forever.
      maxStalledCount: 5,
    });
    this.worker.on('error', (err) => options.log('shard queue error', { level: 'warn', err: err.message }));
  }

  /** The kinds this worker takes. */
  get kinds(): string[] {
    return [...this.handlers.keys()];
  }

  /** Resolves once the worker listens to the queue. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  private async process(job: Job<ShardData, ShardResult>): Promise<ShardResult> {
    const shard = job.data;
    const attempt = job.attemptsMade + 1;
    // Shards queued before shards had kinds were all materialization shards.
    const kind = shard.kind ?? 'materialize';
    const handler = this.handlers.get(kind);
    if (!handler)
      throw new UnrecoverableError(
        `no handler for shards of kind ${kind} in this worker (it takes ${this.kinds.join(', ')})`,
      );
    this.options.onShard?.(shard, attempt);
    let rows = 0;
    let reported = 0;
    const started = Date.now();
    let result: ShardResult;
    try {
      result = await handler.run(shard, {
        attempt,
        advance(n) {
          rows += n;
          const now = Date.now();
          if (now - reported < PROGRESS_EVERY_MS) return;
          reported = now;
          void job.updateProgress({ rows }).catch(() => {});
        },
      });
    } catch (err) {
      if (err instanceof ShardRefused) throw new UnrecoverableError(err.message);
      throw err;
    }
    this.options.log('finished shard', {
      kind,
      view: shard.view,
      day: shard.day,
      shard: `${shard.index + 1}/${shard.count}`,
      attempt,
      rows: result.rows,
      seconds: (Date.now() - started) / 1000,
    });
    return result;
  }

  /** Stops taking shards, lets the ones under way finish, and closes the handlers. */
  async close(): Promise<void> {
    await this.worker.close();
    await Promise.allSettled([...this.handlers.values()].map((h) => h.close?.()));
  }
}
