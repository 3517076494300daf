import { z } from 'zod';
import { identifierSchema, metadataShape } from './identifier.ts';
import { sqlTextSchema } from './sql-text.ts';

const sourceShape = {
  name: identifierSchema,
  /** Column holding each row's event time. */
  timestampField: identifierSchema,
  /** Column holding when each row was written; breaks ties between equal event times. */
  createdTimestampField: identifierSchema.optional(),
  /** Source column → name used by feature views (features and join keys). */
  fieldMapping: z.record(z.string(), identifierSchema).optional(),
  ...metadataShape,
};

/** Rows read from a Parquet file or glob. */
export const parquetSourceSchema = z.strictObject({
  kind: z.literal('parquet'),
  path: z.string().min(1),
  ...sourceShape,
});

/** Rows read from a CSV file (header row, types detected by DuckDB). */
export const csvSourceSchema = z.strictObject({
  kind: z.literal('csv'),
  path: z.string().min(1),
  delimiter: z.string().length(1).optional(),
  ...sourceShape,
});

/** Rows produced by a DuckDB query; other sources are visible in it as tables named after them. */
export const sqlSourceSchema = z.strictObject({
  kind: z.literal('sql'),
  query: sqlTextSchema,
  ...sourceShape,
});

/**
 * Rows pushed over HTTP. Pushed rows land in the offline store under the source's name; an optional
 * batch source supplies the history that was not pushed.
 */
export const pushSourceSchema = z.strictObject({
  kind: z.literal('push'),
  batchSource: identifierSchema.optional(),
  ...sourceShape,
});

export const sourceSchema = z.discriminatedUnion('kind', [
  parquetSourceSchema,
  csvSourceSchema,
  sqlSourceSchema,
  pushSourceSchema,
]);

export type ParquetSource = z.infer<typeof parquetSourceSchema>;
export type CsvSource = z.infer<typeof csvSourceSchema>;
export type SqlSource = z.infer<typeof sqlSourceSchema>;
export type PushSource = z.infer<typeof pushSourceSchema>;
export type Source = z.infer<typeof sourceSchema>;
export type SourceInput = z.input<typeof sourceSchema>;
export type SourceKind = Source['kind'];
