/** `GET /metrics`: Prometheus text exposition of this server's metrics. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteOptions } from '../server-context.ts';

export const metricsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { registry } = context.metrics;
  app.get('/metrics', { config: { scope: 'read' } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
};
