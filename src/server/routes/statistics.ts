/**
 * Statistics over HTTP (read scope), for the web UI: `GET /feature-views/:name/stats` merges a
 * view's partitions, all of them or those of `?start=&end=` (ISO 8601, whole UTC days holding
 * event times in [start, end)); `GET /datasets/:id/stats` describes a training dataset's feature
 * columns, the dataset found by id or name. Both answer what `trove stats --json` prints.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import { parseTimestamp } from '../../offline/parse-timestamp.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore } from '../with-timeout.ts';
import { datasetParams } from './datasets.ts';

const viewParams = z.object({ name: z.string().min(1).max(256) });
const rangeQuery = z.object({
  start: z.string().min(1).max(64).optional(),
  end: z.string().min(1).max(64).optional(),
});

export const statisticsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  app.get(
    '/feature-views/:name/stats',
    { schema: { params: viewParams, querystring: rangeQuery }, config: { scope: 'read' } },
    async (request) => {
      const read = store.viewStatistics?.bind(store);
      if (!read) throw new TroveError('NOT_AVAILABLE', 'this store keeps no statistics', 501);
      const { start, end } = request.query;
      const range = {
        ...(start !== undefined ? { start: parseTimestamp(start, 'start') } : {}),
        ...(end !== undefined ? { end: parseTimestamp(end, 'end') } : {}),
      };
      // No deadline: partitions without recorded statistics are read, which takes their size.
      return callStore(() => read(request.params.name, range), undefined, 'the offline store', request.log);
    },
  );

  app.get(
    '/datasets/:id/stats',
    { schema: { params: datasetParams }, config: { scope: 'read' } },
    async (request) => {
      const read = store.datasetStatistics?.bind(store);
      if (!read) throw new NotFoundError('NO_DATASET_CATALOG', 'this server has no dataset catalog');
      return callStore(() => read(request.params.id), undefined, 'the dataset', request.log);
    },
  );
};
