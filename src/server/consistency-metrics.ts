/**
 * `trove_consistency_mismatch_ratio` of `/metrics`, per feature view: the share of sampled entities
 * whose online values disagreed with the training join in the last `trove check-consistency`.
 * The checks' results live in Redis (online/consistency/consistency-results.ts), so every server
 * shows the last check wherever it ran; they are read once per scrape.
 */
import { Gauge, type Registry } from 'prom-client';

/** The last check's mismatch ratio per view, when the store can tell. */
export type ConsistencySource = () => Promise<Record<string, { mismatchRatio: number }>>;

/** Registers the gauge on `registry`; a view never checked has no series. */
export function registerConsistencyGauge(registry: Registry, source?: ConsistencySource): void {
  new Gauge({
    name: 'trove_consistency_mismatch_ratio',
    help: 'Share of sampled entities whose online values disagreed with the point-in-time join at the same instant, in the last trove check-consistency of each feature view.',
    labelNames: ['feature_view'],
    // Every worker of `trove serve --workers N` reads the same record: one value, not their sum.
    aggregator: 'max',
    registers: [registry],
    async collect() {
      this.reset();
      if (!source) return;
      let results: Record<string, { mismatchRatio: number }>;
      try {
        results = await source();
      } catch {
        // A scrape must not fail because Redis is down; /health reports that.
        return;
      }
      for (const [view, r] of Object.entries(results)) this.set({ feature_view: view }, r.mismatchRatio);
    },
  });
}
