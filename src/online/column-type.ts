/**
 * The declared type of each feature column of an online answer, kept beside the answer rather than
 * in it so the answer keeps Feast's shape. Writers of JSON use it to print float32 values with
 * float32 digits (`float32Text`).
 */
import type { ValueType } from '../definitions/value-type.ts';
import type { OnlineFeatureColumn } from './online-response.ts';

const types = new WeakMap<OnlineFeatureColumn, ValueType>();

export function setColumnType(column: OnlineFeatureColumn, type: ValueType): void {
  types.set(column, type);
}

/** The declared type of a feature column made by an online read; undefined for join key columns. */
export function columnType(column: OnlineFeatureColumn): ValueType | undefined {
  return types.get(column);
}

/** Whether the column's values (or list items) are float32. */
export function isFloat32Column(column: OnlineFeatureColumn): boolean {
  const type = types.get(column);
  return type === 'float32' || type === 'list<float32>';
}
