/**
 * `GET /feature-views/:name/drift?dataset=ID&start=&end=` (read scope), for the web UI: the
 * population stability index of the view's features between a training dataset of the catalog
 * and a range of the view's offline data, as `trove drift --json` prints it. The dataset is named
 * by its catalog id or name only: it is looked up in the catalog first, so a caller can never
 * name a file on the server. A range without the view's data answers no features and a `note`
 * saying why.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TroveError } from '../../errors.ts';
import { NO_OFFLINE_ROWS } from '../../offline/drift/compute-drift.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore } from '../with-timeout.ts';
import { lookupDataset } from './datasets.ts';

const viewParams = z.object({ name: z.string().min(1).max(256) });
const driftQuery = z.object({
  dataset: z.string().min(1).max(256),
  start: z.string().min(1).max(64).optional(),
  end: z.string().min(1).max(64).optional(),
});

export const driftRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  if (!store.drift) return;
  const drift = store.drift.bind(store);
  app.get(
    '/feature-views/:name/drift',
    { schema: { params: viewParams, querystring: driftQuery }, config: { scope: 'read' } },
    async (request) => {
      const { dataset, start, end } = request.query;
      const manifest = await lookupDataset(context, dataset, request.log);
      const registry = await store.registry();
      if (!registry.featureViews().some((v) => v.name === request.params.name))
        throw new TroveError('UNKNOWN_FEATURE_VIEW', `no feature view named ${request.params.name}`, 404);
      // No deadline: the view's range is scanned, which takes its size.
      const report = callStore(
        () =>
          drift({
            dataset: manifest.id,
            views: [request.params.name],
            ...(start !== undefined ? { start } : {}),
            ...(end !== undefined ? { end } : {}),
          }),
        undefined,
        'the offline store',
        request.log,
      );
      // A range the view has no data in is an answer for a page that lets people pick ranges:
      // nothing compared, and why.
      return report.catch((err: unknown) => {
        if (!(err instanceof TroveError) || err.code !== NO_OFFLINE_ROWS) throw err;
        return {
          dataset: manifest.id,
          datasetId: manifest.id,
          start: start ?? null,
          end: end ?? null,
          features: [],
          flagged: 0,
          note: err.message,
        };
      });
    },
  );
};
