/**
 * `GET /health`: 200 only when the registry can be read and the online store answers a probe,
 * each within its deadline; otherwise 503 naming what failed. Public, for load balancers.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  app.get('/health', { config: { scope: 'public' } }, async (request) => {
    const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
    await callStore(() => store.pingOnline(), context.storeTimeoutMs, 'the online store', request.log);
    return { status: 'ok', project: registry.project, registry_version: registry.version };
  });
};
