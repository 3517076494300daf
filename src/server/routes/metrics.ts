/**
 * `GET /metrics`: Prometheus text exposition of this server's metrics; under `trove serve
 * --workers N`, of all its workers together (cluster-metrics.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { clusterMetricsText, isServeWorker, shareWorkerMetrics } from '../cluster-metrics.ts';
import type { RouteOptions } from '../server-context.ts';

export const metricsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { registry } = context.metrics;
  const worker = isServeWorker();
  if (worker) shareWorkerMetrics(registry);
  app.get('/metrics', { config: { scope: 'read' } }, async (_request, reply) => {
    const text = worker ? await clusterMetricsText() : await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
};
