import {
  type AggregationView,
  aggregationFeatureSpecs,
} from '../../definitions/aggregation/aggregation-view.ts';
import type { Feature } from '../../definitions/feature.ts';
import type { WindowedFeature } from './window-aggregates-sql.ts';

/** Functions that pick values by the SPEC's event order. */
const ORDERED: ReadonlySet<string> = new Set(['first', 'last', 'last_n']);

/** What a training dataset needs of an aggregation view for some of its features. */
export interface RequestedWindows {
  /** The features, in the order asked, with what each computes. */
  features: WindowedFeature[];
  /** The stored columns they aggregate, each once. */
  columns: string[];
  /** Of those, the ones first, last or last_n read, which need ranks. */
  ordered: string[];
  /** How far back before an entity row's time the longest window reaches, in microseconds. */
  reachMicros: bigint;
}

/** The windows of `features` (features of `view`, as resolved for a request). */
export function requestedWindows(view: AggregationView, features: readonly Feature[]): RequestedWindows {
  const specs = new Map(aggregationFeatureSpecs(view).map((s) => [s.name, s]));
  const types = new Map(view.columns.map((c) => [c.name, c.type]));
  const windowed = features.map((f): WindowedFeature => {
    const spec = specs.get(f.name);
    if (!spec) throw new Error(`aggregation view ${view.name} has no feature ${f.name}`);
    return { spec, columnType: spec.column === undefined ? undefined : types.get(spec.column) };
  });
  const columns = [...new Set(windowed.flatMap((f) => (f.spec.column === undefined ? [] : [f.spec.column])))];
  const ordered = [
    ...new Set(
      windowed.flatMap((f) =>
        f.spec.column !== undefined && ORDERED.has(f.spec.function) ? [f.spec.column] : [],
      ),
    ),
  ];
  const reach = Math.max(...windowed.map((f) => f.spec.window));
  return { features: windowed, columns, ordered, reachMicros: BigInt(reach) * 1_000_000n };
}
