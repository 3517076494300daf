/**
 * Data-quality series of `/metrics`, per feature view: `trove_validation_failures_total` (computes
 * refused by a check, as recorded in the offline store, and pushes this server refused) and
 * `trove_last_compute_timestamp_seconds` (the newest compute that committed). The offline store's
 * records are read once per scrape (a folder listing and one small file per view).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ValidationRecord } from '../offline/validation/validation-record.ts';

/** The outcome of each view's newest compute, when the store can tell. */
export type ValidationSource = () => Promise<ValidationRecord[]>;

/** Scrapes closer together than this share one read of the records. */
const SHARED_READ_MS = 1000;

export class ValidationMetrics {
  private readonly pushRefusals = new Map<string, number>();
  private read: { at: number; records: Promise<ValidationRecord[]> } | undefined;

  constructor(registry: Registry, source?: ValidationSource) {
    const registers = [registry];
    const records = async (): Promise<ValidationRecord[]> => {
      if (!source) return [];
      const now = Date.now();
      if (!this.read || now - this.read.at > SHARED_READ_MS) this.read = { at: now, records: source() };
      try {
        return await this.read.records;
      } catch {
        // A scrape must not fail because the offline store cannot be read.
        return [];
      }
    };
    const pushRefusals = this.pushRefusals;
    new Counter({
      name: 'trove_validation_failures_total',
      help: 'Data-quality check failures per feature view: computes that committed nothing (stage="compute", from the offline store) and pushed batches this server refused (stage="push").',
      labelNames: ['feature_view', 'stage'],
      registers,
      async collect() {
        this.reset();
        for (const r of await records())
          this.inc({ feature_view: r.view, stage: 'compute' }, r.failedComputes);
        for (const [view, n] of pushRefusals) this.inc({ feature_view: view, stage: 'push' }, n);
      },
    });
    new Gauge({
      name: 'trove_last_compute_timestamp_seconds',
      help: 'Unix time of the newest compute of each feature view that committed (a compute refused by a check does not count).',
      labelNames: ['feature_view'],
      // Every worker of `trove serve --workers N` reads the same record: one value, not their sum.
      aggregator: 'max',
      registers,
      async collect() {
        this.reset();
        for (const r of await records()) {
          if (r.lastCommittedAt !== null)
            this.set({ feature_view: r.view }, Date.parse(r.lastCommittedAt) / 1000);
        }
      },
    });
  }

  /** Counts a pushed batch refused by a check of `view`. */
  countPushRefusal(view: string): void {
    this.pushRefusals.set(view, (this.pushRefusals.get(view) ?? 0) + 1);
  }
}
