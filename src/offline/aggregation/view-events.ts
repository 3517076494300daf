/**
 * The events relation a training dataset reads for one aggregation view: its event index when that
 * still describes the partitions in range (event-index.ts), or else the partitions themselves,
 * ranked at query time. Both give the same rows and ranks (windowEventsRelation's columns).
 */
import type { AggregationView } from '../../definitions/aggregation/aggregation-view.ts';
import { duckdbTypeOf, type ValueType } from '../../definitions/value-type.ts';
import { usableEventIndex } from './event-index.ts';
import type { RequestedWindows } from './requested-windows.ts';
import { indexedEventsRelation, type WindowedView, windowEventsRelation } from './window-aggregates-sql.ts';

/** Where the events of one view come from, for event times in `[from, to]` (µs). */
export interface ViewEventsInput {
  offlineStorePath: string;
  view: AggregationView;
  keys: readonly { name: string; type: ValueType }[];
  requested: RequestedWindows;
  /** The partition files of dates `[fromDate, toDate]`, and a relation reading them. */
  files: readonly string[];
  stored: string;
  fromDate: string;
  toDate: string;
  from: bigint;
  to: bigint;
}

/** The view as `windowAggregatesSql` takes it, reading its index when it can. */
export async function windowedView(input: ViewEventsInput): Promise<WindowedView> {
  const { view, requested, from, to } = input;
  const keyNames = input.keys.map((k) => k.name);
  const types = new Map(view.columns.map((c) => [c.name, c.type]));
  const index =
    input.files.length === 0
      ? undefined
      : await usableEventIndex(input.offlineStorePath, view.name, {
          keys: input.keys.map((k) => ({ name: k.name, sqlType: duckdbTypeOf(k.type) })),
          columns: requested.columns.map((c) => ({ name: c, sqlType: duckdbTypeOf(types.get(c)!) })),
          ordered: requested.ordered,
          files: input.files,
          fromDate: input.fromDate,
          toDate: input.toDate,
        });
  const shape = { keys: keyNames, ordered: requested.ordered, features: requested.features };
  if (index)
    return {
      ...shape,
      relation: indexedEventsRelation(index.file, keyNames, requested.columns, index.ranks, from, to),
      uniqueRanks: true,
      nonNull: new Set(index.nonNull),
    };
  return {
    ...shape,
    relation: windowEventsRelation(input.stored, keyNames, requested.columns, requested.ordered, from, to),
  };
}
