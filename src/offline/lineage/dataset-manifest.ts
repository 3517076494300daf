/**
 * The manifest of a training dataset (SPEC §9): which code and which data made it. Written once by
 * the dataset's build, read by `trove datasets` and `GET /datasets`; checked against this schema
 * when read, since the catalog is files anyone with access to the store could edit.
 */
import { z } from 'zod';
import { identifierSchema } from '../../definitions/identifier.ts';
import { statisticsSummarySchema } from '../statistics/feature-statistics.ts';

export const MANIFEST_FORMAT_VERSION = 1;

const fileSchema = z.strictObject({
  size: z.number().int().nonnegative(),
  fingerprint: z.string().regex(/^(sha256|sampled):[0-9a-f]{64}$/),
  mtime: z.string(),
});

/** Names a dataset can be given: what a file name and a URL path segment can carry unquoted. */
export const datasetNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
    'letters, digits, _ . - (at most 128, first a letter or digit)',
  );

export const DATASET_ID = /^ds-\d{8}-\d{6}-[0-9a-f]{8}$/;

export const datasetManifestSchema = z.strictObject({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  id: z.string().regex(DATASET_ID),
  name: datasetNameSchema.nullable(),
  createdAt: z.string(),
  project: z.string(),
  troveVersion: z.string(),
  /** The feature repo's git commit, and whether its tree had uncommitted changes; null outside git. */
  code: z.strictObject({ commit: z.string(), clean: z.boolean() }).nullable(),
  registry: z.strictObject({ version: z.number().int().nonnegative(), hash: z.string() }),
  request: z.strictObject({
    features: z.array(z.string()).nullable(),
    service: z.string().nullable(),
    fullFeatureNames: z.boolean(),
  }),
  /** Every output feature, in output order, with the definition hash of its view. */
  features: z.array(
    z.strictObject({ view: z.string(), feature: z.string(), output: z.string(), viewHash: z.string() }),
  ),
  /** Definition hashes of every view the dataset depends on (requested, and inputs of on-demand views). */
  views: z.array(z.strictObject({ name: z.string(), kind: z.string(), definitionHash: z.string() })),
  entities: z.strictObject({
    /** `file`: the caller's file, read again by reproduce; `copy`: rows kept in the catalog. */
    kind: z.enum(['file', 'copy']),
    path: z.string(),
    rows: z.number().int().nonnegative(),
    file: fileSchema,
  }),
  /** Every offline partition read: view, date, and its files as they were. */
  partitions: z.array(
    z.strictObject({
      view: identifierSchema,
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      files: z.array(fileSchema.extend({ name: z.string().regex(/^[^/\\]+\.parquet$/) })),
    }),
  ),
  /** How the join listed each view's files, so a rebuild takes the same query plan. */
  reads: z.array(
    z.strictObject({
      view: identifierSchema,
      from: z.string().nullable(),
      to: z.string().nullable(),
      uniqueKeyTimes: z.boolean(),
      uniqueKeys: z.boolean(),
    }),
  ),
  /** Source files behind the views read (as they were when the dataset was built), and transform modules. */
  sources: z.array(
    fileSchema.extend({
      source: z.string(),
      kind: z.enum(['parquet', 'csv', 'push', 'transform']),
      path: z.string(),
    }),
  ),
  output: z.strictObject({
    path: z.string(),
    format: z.enum(['parquet', 'csv', 'arrow']),
    rows: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /**
   * Statistics of the output's feature columns, computed from the file as written (SPEC §10); null
   * for an Arrow file, which DuckDB does not read. Absent from manifests written before datasets
   * recorded them.
   */
  statistics: statisticsSummarySchema.nullable().optional(),
});

export type DatasetManifest = z.infer<typeof datasetManifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type ManifestPartition = DatasetManifest['partitions'][number];
export type ManifestRead = DatasetManifest['reads'][number];
export type ManifestSourceFile = DatasetManifest['sources'][number];
