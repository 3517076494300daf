/** What every route plugin is given: the store, the limits and deadlines, the metrics. */
import type { ServerMetrics } from './server-metrics.ts';
import type { ServingStore } from './serving-store.ts';

export interface ServerContext {
  store: ServingStore;
  metrics: ServerMetrics;
  /** Most entity rows one online or historical request may carry. */
  maxEntities: number;
  /** Deadline of online reads, pushes and health probes, in ms. */
  storeTimeoutMs: number;
  /** Deadline of registry reads, in ms. */
  registryTimeoutMs: number;
}

/** Options of a route plugin. */
export interface RouteOptions {
  context: ServerContext;
}
