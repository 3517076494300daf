/**
 * `POST /materialize` and `POST /materialize-incremental` with Feast's bodies. Both run to
 * completion before answering (as in Feast); a view already being materialized answers 409.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import { parseTimestamp } from '../../offline/parse-timestamp.ts';
import type { Registry } from '../../registry/registry.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

const featureViews = z.array(z.string().min(1)).nullish();

/** Feast's MaterializeRequest; `disable_event_timestamp` and other extra fields are ignored. */
export const materializeBody = z.looseObject({
  start_ts: z.string().min(1),
  end_ts: z.string().min(1),
  feature_views: featureViews,
});

/** Feast's MaterializeIncrementalRequest. */
export const materializeIncrementalBody = z.looseObject({
  end_ts: z.string().min(1),
  feature_views: featureViews,
});

function toDate(text: string, field: string): Date {
  const { micros } = parseTimestamp(text, `body.${field}`);
  return new Date(Number(micros / 1000n));
}

function checkViews(registry: Registry, names: readonly string[] | null | undefined): string[] | undefined {
  if (!names || names.length === 0) return undefined;
  for (const name of names) {
    if (!registry.featureView(name))
      throw new NotFoundError('UNKNOWN_FEATURE_VIEW', `body.feature_views: unknown feature view ${name}`);
  }
  return [...names];
}

/** Rows written per view, when the store's summary says so. */
function rowsByView(summary: unknown): [string, number][] {
  const views = (summary as { views?: unknown } | null)?.views;
  if (!Array.isArray(views)) return [];
  const out: [string, number][] = [];
  for (const v of views as { view?: unknown; name?: unknown; rows?: unknown }[]) {
    const name = typeof v?.view === 'string' ? v.view : typeof v?.name === 'string' ? v.name : undefined;
    if (name !== undefined && typeof v.rows === 'number') out.push([name, v.rows]);
  }
  return out;
}

export const materializeRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store, metrics } = context;

  app.post(
    '/materialize',
    { schema: { body: materializeBody }, config: { scope: 'admin' } },
    async (request) => {
      const materialize = store.materialize?.bind(store);
      if (!materialize) throw new TroveError('NOT_AVAILABLE', 'this server cannot materialize', 503);
      const start = toDate(request.body.start_ts, 'start_ts');
      const end = toDate(request.body.end_ts, 'end_ts');
      if (start.getTime() > end.getTime())
        throw new TroveError('INVALID_REQUEST', 'body: start_ts is after end_ts');
      const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
      const views = checkViews(registry, request.body.feature_views);
      const began = performance.now();
      const summary = await callStore(
        () => materialize({ start, end, ...(views ? { views } : {}) }),
        undefined,
        'the materialization',
        request.log,
      );
      metrics.observeMaterialization('materialize', (performance.now() - began) / 1000, rowsByView(summary));
      return summary ?? {};
    },
  );

  app.post(
    '/materialize-incremental',
    { schema: { body: materializeIncrementalBody }, config: { scope: 'admin' } },
    async (request) => {
      const materializeIncremental = store.materializeIncremental?.bind(store);
      if (!materializeIncremental)
        throw new TroveError('NOT_AVAILABLE', 'this server cannot materialize', 503);
      const end = toDate(request.body.end_ts, 'end_ts');
      const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
      const views = checkViews(registry, request.body.feature_views);
      const began = performance.now();
      const summary = await callStore(
        () => materializeIncremental({ end, ...(views ? { views } : {}) }),
        undefined,
        'the materialization',
        request.log,
      );
      metrics.observeMaterialization(
        'materialize-incremental',
        (performance.now() - began) / 1000,
        rowsByView(summary),
      );
      return summary ?? {};
    },
  );
};
