/**
 * `GET /freshness`: per online view, the newest event time in the online store and the
 * materialization watermark, beside the view's kind and ttl, so a dashboard can tell a stale view
 * at a glance without reading Prometheus. On-demand views store nothing and are not listed.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TroveError } from '../../errors.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

export const freshnessRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  app.get('/freshness', { config: { scope: 'read' } }, async (request) => {
    const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
    const read = store.viewFreshness?.bind(store);
    if (!read) throw new TroveError('NOT_AVAILABLE', 'this store cannot tell the freshness of views', 501);
    const freshness = await callStore(read, context.storeTimeoutMs, 'the online store', request.log);
    const views = registry
      .storedViews()
      .filter((view) => view.online)
      .map((view) => ({
        name: view.name,
        kind: view.kind,
        ttl: view.kind === 'batch' ? view.ttl : 0,
        newestEventTime: freshness[view.name]?.newestEventTime ?? null,
        watermark: freshness[view.name]?.watermark ?? null,
      }));
    return { project: registry.project, registryVersion: registry.version, now: new Date(), views };
  });
};
