/**
 * Prometheus metrics of one server: request latency per route, online value statuses per view,
 * freshness per view, materialization rows and durations. Each server owns its own registry so
 * several servers (tests) in one process do not share counts.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OnlineFeaturesResponse } from '../online/online-response.ts';
import type { OutputFeature } from '../registry/resolve-features.ts';
import { ValidationMetrics, type ValidationSource } from './validation-metrics.ts';

/** Newest event time materialized or pushed per view, when the store can tell. */
export type FreshnessSource = () => Promise<Record<string, Date | null>>;

/** What one view's materialization did. */
export interface ViewRun {
  view: string;
  rows: number;
  seconds?: number;
}

const STATUSES = ['PRESENT', 'NULL_VALUE', 'NOT_FOUND', 'OUTSIDE_MAX_AGE', 'INVALID'] as const;
const STATUS_INDEX: Record<string, number> = Object.fromEntries(STATUSES.map((s, i) => [s, i]));

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly onlineValues: Counter<'feature_view' | 'status'>;
  private readonly materializeRows: Counter<'feature_view'>;
  private readonly materializeDuration: Histogram<'endpoint'>;
  private readonly materializeViewDuration: Histogram<'feature_view'>;
  /** Label children by method, route and status; the route label is bounded by the routes. */
  private readonly requestChildren = new Map<
    string,
    Histogram.Internal<'method' | 'route' | 'status_code'>
  >();
  /** Label children by view, so the hot path does not hash label sets. */
  private readonly onlineChildren = new Map<string, Counter.Internal[]>();

  /** Data-quality series: check failures and the newest committed compute, per view. */
  readonly validation: ValidationMetrics;

  constructor(freshness?: FreshnessSource, validation?: ValidationSource) {
    const registers = [this.registry];
    this.validation = new ValidationMetrics(this.registry, validation);
    collectDefaultMetrics({ register: this.registry, prefix: 'trove_' });
    this.requestDuration = new Histogram({
      name: 'trove_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.onlineValues = new Counter({
      name: 'trove_online_feature_values_total',
      help: 'Feature values answered by get-online-features, by view and status (PRESENT, NULL_VALUE: found; NOT_FOUND; OUTSIDE_MAX_AGE: stale; INVALID: undecodable).',
      labelNames: ['feature_view', 'status'],
      registers,
    });
    this.materializeRows = new Counter({
      name: 'trove_materialize_rows_total',
      help: 'Rows written to the online store by materializations started over HTTP.',
      labelNames: ['feature_view'],
      registers,
    });
    this.materializeDuration = new Histogram({
      name: 'trove_materialize_duration_seconds',
      help: 'Duration of materializations started over HTTP.',
      labelNames: ['endpoint'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.materializeViewDuration = new Histogram({
      name: 'trove_materialize_view_duration_seconds',
      help: 'Duration of one view within materializations started over HTTP.',
      labelNames: ['feature_view'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    new Gauge({
      name: 'trove_feature_view_freshness_seconds',
      help: 'Now minus the newest event time in the online store, per feature view.',
      labelNames: ['feature_view'],
      // Every worker of `trove serve --workers N` reads the same store: one value, not their sum.
      aggregator: 'max',
      registers,
      async collect() {
        this.reset();
        if (!freshness) return;
        let newest: Record<string, Date | null>;
        try {
          newest = await freshness();
        } catch {
          // A scrape must not fail because Redis is down; /health reports that.
          return;
        }
        const now = Date.now();
        for (const [view, at] of Object.entries(newest)) {
          if (at) this.set({ feature_view: view }, (now - at.getTime()) / 1000);
        }
      },
    });
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${route} ${statusCode}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requestDuration.labels(method, route, String(statusCode));
      this.requestChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** Counts statuses per view; feature columns are the last `outputs.length` of the answer. */
  countOnline(outputs: readonly OutputFeature[], response: OnlineFeaturesResponse): void {
    const results = response.results;
    const first = results.length - outputs.length;
    if (first < 0) return;
    // Counted per view, then added once per (view, status): a request's features mostly share a
    // view, and each counter increment costs more than the counting.
    let view: string | undefined;
    let counts = [0, 0, 0, 0, 0];
    const flush = (): void => {
      if (view === undefined) return;
      const children = this.childrenOf(view);
      for (let k = 0; k < counts.length; k++) if (counts[k]) children[k]!.inc(counts[k]);
      counts = [0, 0, 0, 0, 0];
    };
    for (let i = 0; i < outputs.length; i++) {
      const statuses = results[first + i]?.statuses;
      if (!statuses) continue;
      const name = outputs[i]!.view.name;
      if (name !== view) {
        flush();
        view = name;
      }
      for (const s of statuses) {
        const index = STATUS_INDEX[s];
        if (index !== undefined) counts[index]!++;
      }
    }
    flush();
  }

  private childrenOf(view: string): Counter.Internal[] {
    let children = this.onlineChildren.get(view);
    if (!children) {
      children = STATUSES.map((status) => this.onlineValues.labels(view, status));
      this.onlineChildren.set(view, children);
    }
    return children;
  }

  observeMaterialization(endpoint: string, seconds: number, runs: readonly ViewRun[]): void {
    this.materializeDuration.labels(endpoint).observe(seconds);
    for (const run of runs) {
      this.materializeRows.labels(run.view).inc(run.rows);
      if (run.seconds !== undefined) this.materializeViewDuration.labels(run.view).observe(run.seconds);
    }
  }
}
