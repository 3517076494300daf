/**
 * The dataset catalog over HTTP (SPEC §9). `POST /datasets` (write scope) builds a training
 * dataset as `/get-historical-features` does, but saves it as Parquet in the catalog and answers
 * its manifest. Read scope: `GET /datasets` lists every training
 * dataset (newest first), `GET /datasets/:id` answers one manifest, found by id or by name (the
 * newest dataset with that name). Routes about one dataset take it through `lookupDataset`, so a
 * later `GET /datasets/:id/stats` finds it, and answers an unknown one, the same way.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import type { DatasetManifest } from '../../offline/lineage/dataset-manifest.ts';
import { checkEntityScalars, planFeatureRequest } from '../feature-request-plan.ts';
import type { RouteOptions, ServerContext } from '../server-context.ts';
import type { DatasetCatalog } from '../serving-store.ts';
import { callStore, readRegistry } from '../with-timeout.ts';
import { historicalJsonBody, INPUT_ERROR, jsonEntities } from './historical-features.ts';

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

/**
 * `POST /datasets`: the body of `/get-historical-features` (JSON), a name for the catalog, and
 * `statistics: false` for a manifest without column statistics (computed when asked). The answer
 * is the manifest as first written; the statistics are added to it right after.
 */
export const saveDatasetBody = historicalJsonBody.extend({
  name: z.string().nullish(),
  statistics: z.boolean().nullish(),
});

export const datasetsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  // Writes a file on the server: write scope. The answer is the manifest; the rows stay in the
  // catalog (GET /datasets/:id names the file).
  app.post(
    '/datasets',
    { schema: { body: saveDatasetBody }, config: { scope: 'write' } },
    async (request, reply) => {
      if (!store.saveHistoricalFeatures)
        throw new NotFoundError('NO_DATASET_CATALOG', 'this server has no dataset catalog');
      const body = request.body;
      checkEntityScalars(body.entities);
      const features = body.features ?? undefined;
      const service = body.feature_service ?? undefined;
      const fullFeatureNames = body.full_feature_names ?? false;
      if (features && features.length > 0 && service !== undefined)
        throw new TroveError('INVALID_REQUEST', 'give either features or feature_service, not both');
      const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
      const plan = planFeatureRequest(registry, features, service, fullFeatureNames);
      const save = store.saveHistoricalFeatures.bind(store);
      const dataset = await callStore(
        async () => {
          try {
            return await save({
              entities: { columns: jsonEntities(body.entities, plan.joinKeys) },
              ...(features ? { features } : {}),
              ...(service !== undefined ? { service } : {}),
              fullFeatureNames,
              ...(body.name ? { name: body.name } : {}),
              ...(body.statistics === false ? { statistics: false } : {}),
            });
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            if (!(err instanceof TroveError) && INPUT_ERROR.test(message))
              throw new TroveError(
                'INVALID_ENTITY_TABLE',
                `the entity table cannot be joined: ${message.split('\n')[0]}`,
              );
            throw err;
          }
        },
        undefined,
        'the offline store',
        request.log,
      );
      // The statistics of its columns follow the answer (build-dataset.ts); a failure to record
      // them leaves the dataset as it is, with statistics computed when asked.
      dataset.statisticsRecorded?.catch((err: unknown) =>
        request.log.warn(
          { err, dataset: dataset.manifest.id },
          'the statistics of a dataset could not be recorded; they will be computed when asked',
        ),
      );
      return reply.code(201).send(dataset.manifest);
    },
  );

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
