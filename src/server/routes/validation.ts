/**
 * `GET /validation`: the outcome of each view's newest compute (passed, failed with its failures,
 * or committed with checks skipped), as the offline store records it; what the web UI shows beside
 * freshness. Views without a record (never computed since checks existed) are absent.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TroveError } from '../../errors.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

export const validationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  app.get('/validation', { config: { scope: 'read' } }, async (request) => {
    const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
    const read = store.validationRecords?.bind(store);
    if (!read) throw new TroveError('NOT_AVAILABLE', 'this store keeps no validation records', 501);
    const records = await callStore(read, context.registryTimeoutMs, 'the offline store', request.log);
    // Records of views deleted since their last compute are left out.
    const views = records.filter((r) => registry.featureView(r.view) !== undefined);
    return { project: registry.project, registryVersion: registry.version, views };
  });
};
