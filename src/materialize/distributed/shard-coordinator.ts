/**
 * The coordinating side of a distributed materialization: for each view of a run (its lock held by
 * the caller, see materialize.ts) it plans the view's shards, puts them on the queue, reports their
 * progress per shard and in total, and waits for all of them. Only when every shard of the view has
 * finished does it hand back the view's totals, so the caller moves the watermark once, after the
 * last row; a shard that still fails after its retries fails the view and leaves its watermark.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { TroveError } from '../../errors.ts';
import { viewFolder } from '../../offline/offline-layout.ts';
import { utcDateOf } from '../../offline/parse-timestamp.ts';
import { partitionDates } from '../../offline/partition-swap.ts';
import type { OnlineStore } from '../../online/online-store.ts';
import type { ViewCodec } from '../../online/view-codec.ts';
import { SHARD_ATTEMPTS } from '../../queue/shard-queue.ts';
import { ShardRunner } from '../../queue/shard-runner.ts';
import type { ViewRunStats } from '../materialize-view.ts';
import type { MicrosRange } from '../offline-rows.ts';
import type { MaterializeLog, ProgressReporter } from '../progress.ts';
import type { ViewLock } from '../view-lock.ts';
import { type MaterializeShardResult, planShards } from './shard.ts';

/** Entity slices per partition day unless told otherwise. */
export const DEFAULT_SLICES = 4;

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
  private constructor(
    private readonly config: ResolvedConfig,
    private readonly runner: ShardRunner,
    private readonly log: MaterializeLog,
    private readonly slices: number,
  ) {}

  static async open(
    config: ResolvedConfig,
    online: OnlineStore,
    log: MaterializeLog,
    options: DistributedOptions = {},
  ): Promise<ShardCoordinator> {
    const slices = options.slices ?? DEFAULT_SLICES;
    if (!Number.isInteger(slices) || slices < 1 || slices > 1024) throw invalid(slices);
    const runner = await ShardRunner.open(config.onlineStore, online.keys.base);
    return new ShardCoordinator(config, runner, log, slices);
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
    if ((await this.runner.workers()) === 0)
      this.log('no materializer takes shards yet; the run waits for one', { view, shards: shards.length });
    this.log('queued shards', { view, shards: shards.length, days: days.length, slices: this.slices });
    const { results, failures } = await this.runner.run<(typeof shards)[number], MaterializeShardResult>({
      shards,
      advance: (rows) => progress.advance(rows),
      finished: (shard, result, seconds) =>
        progress.shard?.({
          view,
          day: shard.day,
          index: shard.index,
          count: shard.count,
          rows: result.rows,
          written: result.written,
          seconds,
        }),
      check: () => lock.check(),
    });
    if (failures.length > 0)
      throw new TroveError(
        'SHARD_FAILED',
        `feature view ${view}: ${failures.length} of ${shards.length} shards failed after ${SHARD_ATTEMPTS} tries (first: ${failures[0]!.message}); watermark not moved`,
      );
    for (const r of results) {
      stats.rows += r.rows;
      stats.written += r.written;
      if (r.newestEvent !== null) {
        const e = BigInt(r.newestEvent);
        if (stats.newestEvent === null || e > stats.newestEvent) stats.newestEvent = e;
      }
    }
    return stats;
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}
