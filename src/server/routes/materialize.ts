/**
 * `POST /materialize` and `POST /materialize-incremental` with Feast's bodies. Both run to
 * completion before answering (as in Feast); a view already being materialized answers 409.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import type { MaterializeLog } from '../../materialize/progress.ts';
import { parseTimestamp } from '../../offline/parse-timestamp.ts';
import type { Registry } from '../../registry/registry.ts';
import { showName } from '../../show-value.ts';
import type { RouteOptions } from '../server-context.ts';
import type { ViewRun } from '../server-metrics.ts';
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
      throw new NotFoundError(
        'UNKNOWN_FEATURE_VIEW',
        `body.feature_views: unknown feature view ${showName(name)}`,
      );
  }
  return [...names];
}

/** Per-view rows and seconds of a run, when the store's summary lists them. */
function viewRuns(summary: unknown): ViewRun[] {
  if (!Array.isArray(summary)) return [];
  const out: ViewRun[] = [];
  for (const v of summary as { view?: unknown; rows?: unknown; seconds?: unknown }[]) {
    if (typeof v?.view === 'string' && typeof v.rows === 'number') {
      out.push({
        view: v.view,
        rows: v.rows,
        seconds: typeof v.seconds === 'number' ? v.seconds : undefined,
      });
    }
  }
  return out;
}

function logTo(log: FastifyBaseLogger): MaterializeLog {
  return (message, fields) => log.info(fields, message);
}

export const materializeRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store, metrics } = context;

  app.post(
    '/materialize',
    { schema: { body: materializeBody }, config: { scope: 'admin' } },
    async (request) => {
      const start = toDate(request.body.start_ts, 'start_ts');
      const end = toDate(request.body.end_ts, 'end_ts');
      if (start.getTime() > end.getTime())
        throw new TroveError('INVALID_REQUEST', 'body: start_ts is after end_ts');
      const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
      const views = checkViews(registry, request.body.feature_views);
      const began = performance.now();
      const summary = await callStore(
        () => store.materialize({ start, end, views, log: logTo(request.log) }),
        undefined,
        'the materialization',
        request.log,
      );
      metrics.observeMaterialization('materialize', (performance.now() - began) / 1000, viewRuns(summary));
      return { views: summary };
    },
  );

  app.post(
    '/materialize-incremental',
    { schema: { body: materializeIncrementalBody }, config: { scope: 'admin' } },
    async (request) => {
      const end = toDate(request.body.end_ts, 'end_ts');
      const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
      const views = checkViews(registry, request.body.feature_views);
      const began = performance.now();
      const summary = await callStore(
        () => store.materializeIncremental({ end, views, log: logTo(request.log) }),
        undefined,
        'the materialization',
        request.log,
      );
      metrics.observeMaterialization(
        'materialize-incremental',
        (performance.now() - began) / 1000,
        viewRuns(summary),
      );
      return { views: summary };
    },
  );
};
