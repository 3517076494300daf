/**
 * `GET /datasets/:id/verify` (read scope): whether everything a training dataset read is unchanged
 * (registry, view definitions, partitions, source files, entity rows), whether it can still be
 * rebuilt, and the state of its output file, as `trove datasets verify` reports it. It reads and
 * fingerprints files, so it has no deadline, like the other offline reads.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../errors.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore } from '../with-timeout.ts';
import { datasetParams } from './datasets.ts';

export const datasetVerifyRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  app.get(
    '/datasets/:id/verify',
    { schema: { params: datasetParams }, config: { scope: 'read' } },
    async (request) => {
      const open = context.store.datasets?.bind(context.store);
      if (!open) throw new NotFoundError('NO_DATASET_CATALOG', 'this server has no dataset catalog');
      return callStore(
        async () => (await open()).verify(request.params.id),
        undefined,
        'the dataset catalog',
        request.log,
      );
    },
  );
};
