/**
 * `POST /push` in Feast's wire format: rows for a push source as JSON columns. The store validates
 * every row against the views' types before writing anything; the server checks the shape, that
 * the source exists and is a push source, and that the columns line up.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import { PushCheckError } from '../../push/checks/check-pushed-rows.ts';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE } from '../../push/idempotency-key.ts';
import { showName } from '../../show-value.ts';
import type { RouteOptions } from '../server-context.ts';
import { callStore, readRegistry } from '../with-timeout.ts';

/**
 * Feast's PushFeaturesRequest; `allow_registry_cache` and `transform_on_write` are ignored.
 * `idempotency_key` is Trove's: the push's id, so that a retry adds nothing twice.
 */
export const pushBody = z.looseObject({
  push_source_name: z.string().min(1),
  df: z.record(z.string(), z.array(z.unknown())),
  to: z.enum(['online', 'offline', 'online_and_offline']).default('online'),
  idempotency_key: z.string().regex(IDEMPOTENCY_KEY, `expected ${IDEMPOTENCY_KEY_RULE}`).optional(),
});

export function checkColumns(df: Record<string, unknown[]>): number {
  const names = Object.keys(df);
  if (names.length === 0) throw new TroveError('INVALID_REQUEST', 'df: give at least one column');
  const rows = df[names[0]!]!.length;
  for (const name of names) {
    if (df[name]!.length !== rows) {
      throw new TroveError(
        'INVALID_REQUEST',
        `df: columns differ in length (${showName(names[0]!)} has ${rows} values, ${showName(name)} has ${df[name]!.length})`,
      );
    }
  }
  if (rows === 0) throw new TroveError('INVALID_REQUEST', 'df: give at least one row');
  return rows;
}

export const pushRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  app.post('/push', { schema: { body: pushBody }, config: { scope: 'write' } }, async (request) => {
    const { push_source_name: pushSourceName, df, to, idempotency_key: idempotencyKey } = request.body;
    const rows = checkColumns(df);
    const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
    const source = registry.source(pushSourceName);
    if (source?.kind !== 'push') {
      throw new NotFoundError(
        'UNKNOWN_PUSH_SOURCE',
        source
          ? `source ${showName(pushSourceName)} is a ${source.kind} source, not a push source`
          : `unknown push source ${showName(pushSourceName)}`,
      );
    }
    // Offline writes touch files; give them longer than an online write.
    const deadline = to === 'online' ? context.storeTimeoutMs : Math.max(context.storeTimeoutMs, 60_000);
    const result = await callStore(
      () =>
        store.push({ pushSourceName, df, to, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) }),
      deadline,
      'the push',
      request.log,
    ).catch((err: unknown) => {
      if (err instanceof PushCheckError) context.metrics.validation.countPushRefusal(err.view);
      throw err;
    });
    return { push_source_name: pushSourceName, to, rows, push_id: result.pushId };
  });
};
