/**
 * `POST /get-online-features` in Feast's wire format. The schema checks only the shape; entity
 * values are checked by hand against the (cached) plan of the request, which is cheaper than a
 * per-value zod union and names the column and row of a bad value.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TroveError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import {
  checkEntities,
  checkEntityScalars,
  type FeatureRequestPlan,
  planFeatureRequest,
} from '../feature-request-plan.ts';
import { writeOnlineResponse } from '../online-response-writer.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

/** Feast's GetOnlineFeaturesRequest; other fields Feast clients send are accepted and ignored. */
export const getOnlineFeaturesBody = z.looseObject({
  entities: z.record(z.string(), z.array(z.unknown())),
  features: z.array(z.string()).nullish(),
  feature_service: z.string().nullish(),
  full_feature_names: z.boolean().nullish(),
});

/**
 * How long the hot path reuses the registry it last read for planning, sparing a registry read per
 * request. The store checks the file itself on every read, and a request the reused registry
 * refuses is planned again against the current one, so a new apply is served at once either way.
 */
const REGISTRY_RECHECK_MS = 500;

export const onlineFeaturesRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store, metrics } = context;
  let recent: { registry: Registry; at: number } | undefined;
  const currentRegistry = async (): Promise<Registry> => {
    const now = performance.now();
    if (recent && now - recent.at < REGISTRY_RECHECK_MS) return recent.registry;
    const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
    recent = { registry, at: now };
    return registry;
  };
  app.post(
    '/get-online-features',
    { schema: { body: getOnlineFeaturesBody }, config: { scope: 'read' } },
    async (request, reply) => {
      const body = request.body;
      checkEntityScalars(body.entities);
      const features = body.features ?? undefined;
      const service = body.feature_service ?? undefined;
      if (features && features.length > 0 && service !== undefined) {
        throw new TroveError('INVALID_REQUEST', 'body: give either features or feature_service, not both');
      }
      const fullFeatureNames = body.full_feature_names ?? false;
      const reused = await currentRegistry();
      let plan: FeatureRequestPlan;
      let entities: Record<string, unknown[]>;
      try {
        plan = planFeatureRequest(reused, features, service, fullFeatureNames);
        entities = checkEntities(plan, body.entities, context.maxEntities);
      } catch (err) {
        // What the reused registry refuses (an unknown view, a join key it lacks) may be right
        // under a newer one: check the file before refusing.
        if (!(err instanceof TroveError) || err.status >= 500) throw err;
        recent = undefined;
        const current = await currentRegistry();
        if (current === reused) throw err;
        plan = planFeatureRequest(current, features, service, fullFeatureNames);
        entities = checkEntities(plan, body.entities, context.maxEntities);
      }
      const response = await callStore(
        () => store.getOnlineFeatures({ entities, features, service, fullFeatureNames }),
        context.storeTimeoutMs,
        'the online store',
        request.log,
      );
      metrics.countOnline(plan.outputs, response);
      return reply.type('application/json; charset=utf-8').send(writeOnlineResponse(response));
    },
  );
};
