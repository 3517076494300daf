/**
 * How one aggregation view lives in the online store: its tile layout, what its state keeps per
 * column, the key of an entity's state, and how a merged window state becomes feature values.
 * The key carries a fingerprint of everything the state's shape depends on (join keys, columns
 * and their types, aggregations, granularity), so a changed definition starts from empty state
 * instead of misreading old state; old keys expire by themselves.
 */
import type {
  AggregationFeatureSpec,
  AggregationView,
} from '../../definitions/aggregation/aggregation-view.ts';
import type { JoinKey } from '../../definitions/entity.ts';
import { presentValue } from '../../definitions/input-values.ts';
import type { ValueType } from '../../definitions/value-type.ts';
import { canonicalJson, sha256 } from '../../registry/canonical-json.ts';
import { EntityKeyBuilder } from '../entity-key.ts';
import type { OnlineKeys } from '../online-keys.ts';
import { TileLayout } from './tile-layout.ts';
import { type ColumnPlan, columnPlans, type TileState } from './tile-state.ts';

/** One feature: its spec, its type, the index of its column among the view's, its span's index. */
interface PlannedFeature {
  spec: AggregationFeatureSpec;
  type: ValueType;
  column: number;
  span: number;
}

export class AggregationCodec {
  readonly view: AggregationView;
  readonly joinKeys: readonly JoinKey[];
  readonly fingerprint: string;
  readonly layout: TileLayout;
  readonly plans: readonly ColumnPlan[];
  readonly entityKeys: EntityKeyBuilder;
  readonly features: readonly PlannedFeature[];
  private readonly featureIndex: Map<string, number>;

  constructor(view: AggregationView, joinKeys: readonly JoinKey[]) {
    this.view = view;
    this.joinKeys = joinKeys;
    this.fingerprint = sha256(
      canonicalJson({
        joinKeys: joinKeys.map((k) => [k.name, k.type]),
        columns: view.columns.map((c) => [c.name, c.type]),
        aggregations: view.aggregations.map((a) => [a.column ?? null, a.function, a.windows, a.n ?? null]),
        granularity: view.granularity ?? null,
      }),
    ).slice(0, 12);
    this.layout = new TileLayout(view);
    this.plans = columnPlans(view);
    this.entityKeys = new EntityKeyBuilder(joinKeys);
    const spanIndex = new Map(this.layout.spans.map((s, i) => [`${s.window}/${s.granularity}`, i]));
    this.features = this.layout.specs.map((spec, i) => ({
      spec,
      type: view.features[i]!.type,
      column: spec.column === undefined ? -1 : view.columns.findIndex((c) => c.name === spec.column),
      span: spanIndex.get(`${spec.window}/${spec.granularity}`)!,
    }));
    this.featureIndex = new Map(this.features.map((f, i) => [f.spec.name, i]));
  }

  /** The hash holding one entity's state of this view; the entity text is the cluster hash tag. */
  key(keys: OnlineKeys, entityText: string): string {
    return keys.aggregation(entityText, this.view.name, this.fingerprint);
  }

  indexOf(feature: string): number {
    const i = this.featureIndex.get(feature);
    if (i === undefined) throw new Error(`feature view ${this.view.name} has no feature ${feature}`);
    return i;
  }

  /**
   * The value a read returns for feature `i` given its window's merged state (SPEC §7: empty
   * windows give 0 for count and sum, [] for last_n, null otherwise).
   */
  value(i: number, state: TileState): unknown {
    const f = this.features[i]!;
    const { spec } = f;
    if (f.column < 0) return BigInt(state.rows);
    const s = state.columns[f.column]!;
    const integer = this.plans[f.column]!.integer;
    switch (spec.function) {
      case 'count':
        return BigInt(s.count);
      case 'sum':
        return s.sum;
      case 'mean':
        return s.count === 0 ? null : (integer ? Number(s.sum as bigint) : (s.sum as number)) / s.count;
      case 'var_pop':
        return s.n === 0 ? null : s.m2 / s.n;
      case 'var_samp':
        return s.n < 2 ? null : s.m2 / (s.n - 1);
      case 'stddev_pop':
        return s.n === 0 ? null : Math.sqrt(s.m2 / s.n);
      case 'stddev_samp':
        return s.n < 2 ? null : Math.sqrt(s.m2 / (s.n - 1));
      case 'min':
        return presentValue(f.type, s.min);
      case 'max':
        return presentValue(f.type, s.max);
      case 'first':
        return s.first === null ? null : presentValue(f.type, s.first[2]);
      case 'last':
        return s.last === null ? null : presentValue(f.type, s.last[2]);
      case 'last_n':
        return presentValue(
          f.type,
          s.lastN.slice(0, spec.n).map((o) => o[2]),
        );
    }
  }
}
