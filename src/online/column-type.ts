/**
 * The declared type of each feature column of an online answer, kept beside the answer rather than
 * in it so the answer keeps Feast's shape. Writers of JSON use it to print float32 values with
 * float32 digits (`float32Text`).
 */
import type { ValueType } from '../definitions/value-type.ts';
import type { FeatureStatus, OnlineFeatureColumn } from './online-response.ts';

/**
 * A feature column that knows its type. The type is a private field: invisible to JSON, to
 * `Object.keys` and to deep equality, so the column is Feast's plain `{values, statuses,
 * event_timestamps}` to everyone else. (A field costs nothing per column; a side table keyed by
 * column did, on every read.)
 */
class TypedColumn implements OnlineFeatureColumn {
  readonly #type: ValueType;
  values: unknown[];
  statuses: FeatureStatus[];
  event_timestamps: string[];

  constructor(type: ValueType, values: unknown[], statuses: FeatureStatus[], eventTimestamps: string[]) {
    this.#type = type;
    this.values = values;
    this.statuses = statuses;
    this.event_timestamps = eventTimestamps;
  }

  static typeOf(column: OnlineFeatureColumn): ValueType | undefined {
    return #type in column ? column.#type : undefined;
  }
}

/** A feature column of declared type `type`. */
export function typedColumn(
  type: ValueType,
  values: unknown[],
  statuses: FeatureStatus[],
  eventTimestamps: string[],
): OnlineFeatureColumn {
  return new TypedColumn(type, values, statuses, eventTimestamps);
}

/** The declared type of a feature column made by an online read; undefined for join key columns. */
export function columnType(column: OnlineFeatureColumn): ValueType | undefined {
  return TypedColumn.typeOf(column);
}

/** Whether the column's values (or list items) are float32. */
export function isFloat32Column(column: OnlineFeatureColumn): boolean {
  const type = TypedColumn.typeOf(column);
  return type === 'float32' || type === 'list<float32>';
}
