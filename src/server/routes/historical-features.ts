/**
 * `POST /get-historical-features`: entity rows in, training rows out as an Arrow IPC stream
 * (`application/vnd.apache.arrow.stream`, readable with `pyarrow.ipc.open_stream`), streamed batch
 * by batch so memory does not grow with the dataset.
 *
 * Entity rows come as JSON columns (`{"entities": {...}, "features": [...]}`; the
 * `event_timestamp` column holds ISO 8601 text, UTC when it has no zone) or as an Arrow IPC body,
 * with the features then named in the query string. Only in-memory entity tables are accepted:
 * never a path or SQL, which would let a caller read the server's files.
 */
import { Readable } from 'node:stream';
import { type Table, tableFromIPC } from 'apache-arrow';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JoinKey } from '../../definitions/entity.ts';
import { TroveError, UnavailableError } from '../../errors.ts';
import { parseTimestamp } from '../../offline/parse-timestamp.ts';
import { showName, showValue } from '../../show-value.ts';
import { checkEntityScalars, normalizeJoinKeyColumn, planFeatureRequest } from '../feature-request-plan.ts';
import type { RouteOptions } from '../server-context.ts';
import { readRegistry } from '../with-timeout.ts';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
const TIMESTAMP_COLUMN = 'event_timestamp';

export const historicalJsonBody = z.looseObject({
  entities: z.record(z.string(), z.array(z.unknown())),
  features: z.array(z.string()).nullish(),
  feature_service: z.string().nullish(),
  full_feature_names: z.boolean().nullish(),
});

/** With an Arrow body, what to compute comes in the query string (`features` comma-separated). */
export const historicalQuery = z.looseObject({
  features: z.string().optional(),
  feature_service: z.string().optional(),
  full_feature_names: z.enum(['true', 'false']).optional(),
});

interface Selection {
  features?: string[];
  service?: string;
  fullFeatureNames: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** DuckDB's messages for values it cannot take: the entity table's fault, not the store's. */
export const INPUT_ERROR =
  /Conversion Error|Binder Error|Invalid Input Error|Mismatch Type|out of (int64 )?range/i;

export function jsonEntities(
  columns: Record<string, unknown[]>,
  joinKeys: readonly JoinKey[],
): Record<string, unknown[]> {
  const names = Object.keys(columns);
  if (names.length === 0) throw new TroveError('INVALID_REQUEST', 'entities: give at least one column');
  const rows = columns[names[0]!]!.length;
  const out: Record<string, unknown[]> = {};
  for (const name of names) {
    const values = columns[name]!;
    if (values.length !== rows) {
      throw new TroveError(
        'INVALID_REQUEST',
        `entities: columns differ in length (${showName(names[0]!)} has ${rows} values, ${showName(name)} has ${values.length})`,
      );
    }
    values.forEach((v, i) => {
      if (typeof v === 'bigint' && (v < INT64_MIN || v > INT64_MAX))
        throw new TroveError(
          'INVALID_REQUEST',
          `entities.${showName(name)}[${i}]: ${showValue(v)} is beyond the int64 range`,
        );
    });
    const key = joinKeys.find((k) => k.name === name);
    out[name] = key
      ? normalizeJoinKeyColumn(key, values)
      : name === TIMESTAMP_COLUMN
        ? values.map((v, i) => {
            if (typeof v !== 'string')
              throw new TroveError(
                'INVALID_REQUEST',
                `entities.${name}[${i}]: expected ISO 8601 text, got ${showValue(v)}`,
              );
            const { micros } = parseTimestamp(v, `entities.${name}[${i}]`);
            return new Date(Number(micros / 1000n));
          })
        : values;
  }
  if (rows === 0) throw new TroveError('INVALID_REQUEST', 'entities: give at least one entity row');
  return out;
}

function checkSelection(selection: Selection): void {
  if (selection.features && selection.features.length > 0 && selection.service !== undefined) {
    throw new TroveError('INVALID_REQUEST', 'give either features or feature_service, not both');
  }
}

function arrowEntities(body: Buffer): Table {
  let table: Table;
  try {
    table = tableFromIPC(body);
  } catch (err) {
    throw new TroveError(
      'INVALID_ARROW',
      `body is not an Arrow IPC stream: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (table.numCols === 0 || table.numRows === 0) {
    throw new TroveError(
      'INVALID_REQUEST',
      'body: the Arrow entity table has no rows or no columns (is it an Arrow IPC stream?)',
    );
  }
  return table;
}

export const historicalFeaturesRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const { store } = context;
  // Scoped to this plugin: no other route accepts Arrow bodies (they answer 415).
  app.addContentTypeParser(ARROW_STREAM, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/get-historical-features',
    { schema: { querystring: historicalQuery }, config: { scope: 'read' } },
    async (request, reply) => {
      let input: Table | { columns: Record<string, unknown[]> };
      let selection: Selection;
      if (Buffer.isBuffer(request.body)) {
        input = arrowEntities(request.body);
        const q = request.query;
        selection = {
          features: q.features
            ?.split(',')
            .map((f) => f.trim())
            .filter(Boolean),
          service: q.feature_service,
          fullFeatureNames: q.full_feature_names === 'true',
        };
      } else {
        const body = historicalJsonBody.parse(request.body);
        checkEntityScalars(body.entities);
        selection = {
          features: body.features ?? undefined,
          service: body.feature_service ?? undefined,
          fullFeatureNames: body.full_feature_names ?? false,
        };
        checkSelection(selection);
        const registry = await readRegistry(() => store.registry(), context.registryTimeoutMs);
        const plan = planFeatureRequest(
          registry,
          selection.features,
          selection.service,
          selection.fullFeatureNames,
        );
        input = { columns: jsonEntities(body.entities, plan.joinKeys) };
      }
      checkSelection(selection);
      // Preparing the query checks the request (views, join keys); failures there are answered
      // with their status. Failures while streaming can only cut the stream short.
      let bytes: AsyncIterable<Uint8Array>;
      try {
        bytes = await store.getHistoricalFeaturesIpcStream({
          entities: input,
          features: selection.features,
          service: selection.service,
          fullFeatureNames: selection.fullFeatureNames,
        });
      } catch (err) {
        if (err instanceof TroveError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        if (INPUT_ERROR.test(message)) {
          throw new TroveError(
            'INVALID_ENTITY_TABLE',
            `the entity table cannot be joined: ${message.split('\n')[0]}`,
          );
        }
        request.log.error({ err }, 'the offline store failed');
        throw new UnavailableError(`the offline store failed: ${message.split('\n')[0]}`);
      }
      return reply.type(ARROW_STREAM).send(Readable.from(bytes, { objectMode: false }));
    },
  );
};
