/**
 * Status of one feature value in an online read (SPEC §5). `INVALID` (Feast's name) marks a stored
 * value that could not be decoded: that one value is null, the rest of the read is unaffected.
 */
export type FeatureStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE' | 'INVALID';

/**
 * One column of an online read: the join key or feature named at the same index of
 * `metadata.feature_names`. Values are JS values of the declared type: int64 as bigint, bytes as
 * Uint8Array, timestamps as Date, lists as arrays; null where absent.
 */
export interface OnlineFeatureColumn {
  values: unknown[];
  statuses: FeatureStatus[];
  /** ISO 8601 UTC; `1970-01-01T00:00:00Z` where there is no row (Feast's convention). */
  event_timestamps: string[];
}

/** Feast's column-oriented answer to get-online-features, join keys first. */
export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] };
  results: OnlineFeatureColumn[];
}

/** What a caller asks of the online store. */
export interface OnlineFeaturesRequest {
  /** Join key → values, one per entity row; all columns the same length. */
  entities: Record<string, readonly unknown[]>;
  features?: readonly string[];
  service?: string;
  fullFeatureNames?: boolean;
}
