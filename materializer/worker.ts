/**
 * The materializer worker: every `materialize.interval` it runs an incremental materialization of
 * each online view up to now, one view at a time so one failing or locked view does not hold up the
 * others for long; now and then it reclaims values no view reads any more. `stop()` lets the view
 * under way finish (so its lock is released and its watermark consistent) and then returns.
 */
import type { Logger } from 'pino';
import { ConflictError } from '../src/errors.ts';
import type { FeatureStore } from '../src/feature-store.ts';
import type { DistributedOptions } from '../src/materialize/distributed/shard-coordinator.ts';
import { DEFAULT_LOCK_TTL_MS } from '../src/materialize/view-lock.ts';

/**
 * How long the worker waits for a view another process is materializing before skipping it this
 * cycle: past the lapse of a lock whose holder died on another host (or in an earlier container of
 * this one), so a restarted worker does not skip the view, yet short enough that a long run
 * elsewhere holds up the other views only that long.
 */
export const LOCK_WAIT_SECONDS = DEFAULT_LOCK_TTL_MS / 1000 + 5;

export interface WorkerOptions {
  /** Seconds between reclaiming passes over the keyspace; 0 disables them. */
  reclaimEverySeconds: number;
  /** Runs through the shard queue, for every materializer process to take part in. */
  distributed?: DistributedOptions;
}

export interface ViewStatus {
  lastSuccess: string | null;
  lastError: string | null;
  watermark: string | null;
}

export class MaterializerWorker {
  private stopping = false;
  /** Ends a wait for a lock at once when stopping. */
  private readonly stopped = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastReclaim = Date.now();
  readonly views = new Map<string, ViewStatus>();
  /** Views of a kind not materialized yet, already logged as skipped. */
  lastCycleAt: string | null = null;
  lastCycleOk = false;

  constructor(
    private readonly store: FeatureStore,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.cycle();
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.store.config.materialize.interval * 1000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One pass over every online view; never throws. */
  async cycle(): Promise<void> {
    let ok = true;
    try {
      const registry = await this.store.registry();
      const log = (msg: string, fields: Record<string, unknown>) => this.logger.info(fields, msg);
      for (const view of registry.storedViews()) {
        if (this.stopping) break;
        if (!view.online) continue;
        const status = this.views.get(view.name) ?? { lastSuccess: null, lastError: null, watermark: null };
        this.views.set(view.name, status);
        try {
          const [result] = await this.store.materializeIncremental({
            end: new Date(),
            views: [view.name],
            log,
            wait: LOCK_WAIT_SECONDS,
            signal: this.stopped.signal,
            distributed: this.options.distributed,
          });
          status.lastSuccess = new Date().toISOString();
          status.lastError = null;
          status.watermark = result?.watermark ?? status.watermark;
        } catch (err) {
          if (err instanceof ConflictError) {
            this.logger.info({ view: view.name }, 'view is being materialized elsewhere; skipped this time');
            continue;
          }
          ok = false;
          status.lastError = (err as Error).message;
          this.logger.error({ view: view.name, err: (err as Error).message }, 'materialization failed');
        }
      }
      const every = this.options.reclaimEverySeconds;
      if (!this.stopping && every > 0 && Date.now() - this.lastReclaim >= every * 1000) {
        this.lastReclaim = Date.now();
        const removed = await this.store.online().reclaimStaleFields(registry);
        this.logger.info({ removed }, 'reclaimed values of deleted or changed views');
      }
    } catch (err) {
      ok = false;
      this.logger.error({ err: (err as Error).message }, 'materialization cycle failed');
    }
    this.lastCycleAt = new Date().toISOString();
    this.lastCycleOk = ok;
  }
}
