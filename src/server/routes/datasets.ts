/**
 * The dataset catalog over HTTP (SPEC §9), read scope: `GET /datasets` lists every training
 * dataset (newest first), `GET /datasets/:id` answers one manifest, found by id or by name (the
 * newest dataset with that name). Routes about one dataset take it through `lookupDataset`, so a
 * later `GET /datasets/:id/stats` finds it, and answers an unknown one, the same way.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import type { DatasetManifest } from '../../offline/lineage/dataset-manifest.ts';
import type { RouteOptions, ServerContext } from '../server-context.ts';
import type { DatasetCatalog } from '../serving-store.ts';
import { callStore } from '../with-timeout.ts';

/** `:id` of the routes about one dataset: an id (`ds-...`) or a name. */
export const datasetParams = z.object({ id: z.string().min(1).max(256) });

async function catalogOf(context: ServerContext): Promise<DatasetCatalog> {
  if (!context.store.datasets)
    throw new NotFoundError('NO_DATASET_CATALOG', 'this server has no dataset catalog');
  return context.store.datasets();
}

/** The manifest of a dataset by id or name; 404 when the catalog has none, 503 when it cannot be read. */
export function lookupDataset(
  context: ServerContext,
  idOrName: string,
  log: FastifyBaseLogger,
): Promise<DatasetManifest> {
  return callStore(
    async () => (await catalogOf(context)).get(idOrName),
    undefined,
    'the dataset catalog',
    log,
  );
}

export const datasetsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  app.get('/datasets', { config: { scope: 'read' } }, async (request) => {
    const datasets = await callStore(
      async () => (await catalogOf(context)).list(),
      undefined,
      'the dataset catalog',
      request.log,
    );
    return { datasets };
  });

  app.get(
    '/datasets/:id',
    { schema: { params: datasetParams }, config: { scope: 'read' } },
    async (request) => lookupDataset(context, request.params.id, request.log),
  );
};
