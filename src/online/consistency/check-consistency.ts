/**
 * `trove check-consistency`: training and serving agree (SPEC §5, §7). For each view it samples
 * entities the online store holds, reads them online at an instant T and computes the training
 * join for entity rows stamped T, then compares every feature value as the declared type
 * (same-value.ts). A value the online store cannot decode (status INVALID) disagrees whatever the
 * join says. The result of each view is recorded for `/metrics` (consistency-results.ts).
 *
 * The online side holds what was materialized or pushed: T should be at or after the end of the
 * last materialization (now, by default), or rows the offline store has and the online store was
 * never given show up as disagreements, which is what they are at that instant.
 */
import type { Table } from 'apache-arrow';
import type { FeatureView } from '../../definitions/feature-view.ts';
import { listElementType, type ValueType } from '../../definitions/value-type.ts';
import { NotFoundError, TroveError } from '../../errors.ts';
import { historicalTable } from '../../offline/historical-output.ts';
import type { OfflineConfig } from '../../offline/offline-duckdb.ts';
import type { Registry } from '../../registry/registry.ts';
import { showValue } from '../../show-value.ts';
import type { FeatureStatus } from '../online-response.ts';
import type { OnlineStore } from '../online-store.ts';
import { type ConsistencyResult, recordConsistency } from './consistency-results.ts';
import { sameValue } from './same-value.ts';
import { aggregationTarget, batchTarget, sampleEntities } from './sample-entities.ts';

export const DEFAULT_SAMPLE = 100;
/** Disagreements reported per view; the counts cover all of them. */
const MAX_EXAMPLES = 5;

export interface ConsistencyOptions {
  /** Views to check; every online batch and aggregation view by default. */
  views?: readonly string[];
  /** Entities sampled per view (default 100). */
  sample?: number;
  /** The instant both sides are read at; now by default. */
  at?: Date;
  /** Keep each view's result for /metrics (default true). */
  record?: boolean;
}

/** One value that disagrees. */
export interface Mismatch {
  entity: Record<string, string>;
  feature: string;
  status: FeatureStatus;
  online: string;
  offline: string;
}

export interface ViewConsistency extends ConsistencyResult {
  view: string;
  kind: 'batch' | 'aggregation';
  valuesCompared: number;
  valuesMismatched: number;
  examples: Mismatch[];
}

export interface ConsistencyReport {
  at: string;
  views: ViewConsistency[];
}

function checkedViews(registry: Registry, names: readonly string[] | undefined): FeatureView[] {
  if (!names) return registry.storedViews().filter((v) => v.online && v.offline);
  if (names.length === 0) throw new TroveError('INVALID_ARGUMENT', 'name at least one feature view');
  return names.map((name) => {
    const view = registry.featureView(name);
    if (!view) throw new NotFoundError('VIEW_NOT_FOUND', `unknown feature view ${name}`);
    if (view.kind === 'onDemand')
      throw new TroveError(
        'INVALID_ARGUMENT',
        `feature view ${name} is an on-demand view: it is computed at request time, nothing is stored to compare`,
      );
    if (!view.online)
      throw new TroveError('INVALID_ARGUMENT', `feature view ${name} is not served online (online: false)`);
    if (!view.offline)
      throw new TroveError(
        'INVALID_ARGUMENT',
        `feature view ${name} is not kept offline (offline: false): there is no training join to compare with`,
      );
    return view;
  });
}

/** A value for a report: as the read returns it, timestamps as ISO text. */
function display(type: ValueType, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const element = listElementType(type) ?? type;
  const one = (v: unknown): unknown =>
    element === 'timestamp' && typeof v === 'number' ? new Date(Math.floor(v)).toISOString() : v;
  if (typeof value === 'object' && !(value instanceof Uint8Array) && Symbol.iterator in value)
    return showValue([...(value as Iterable<unknown>)].map(one), 200);
  return showValue(one(value), 200);
}

async function checkView(
  config: OfflineConfig,
  registry: Registry,
  online: OnlineStore,
  view: FeatureView,
  size: number,
  at: Date,
): Promise<Omit<ViewConsistency, 'checkedAt'>> {
  const joinKeys = registry.joinKeysOf(view);
  const target =
    view.kind === 'aggregation'
      ? aggregationTarget(
          online,
          joinKeys,
          view.name,
          online.aggregationCodec(registry, view.name).fingerprint,
        )
      : batchTarget(online, joinKeys, online.codec(registry, view.name).field);
  const entities = await sampleEntities(online, target, size);
  const kind = view.kind === 'aggregation' ? 'aggregation' : 'batch';
  const base = { view: view.name, kind, at: at.toISOString() } as const;
  if (entities.length === 0)
    return {
      ...base,
      sampled: 0,
      mismatched: 0,
      mismatchRatio: 0,
      valuesCompared: 0,
      valuesMismatched: 0,
      examples: [],
    };

  const columns: Record<string, unknown[]> = {};
  joinKeys.forEach((k, i) => {
    columns[k.name] = entities.map((e) => e[i]);
  });
  const features = [`${view.name}:*`];
  const answer = await online.read(
    registry,
    { entities: columns, features, fullFeatureNames: true },
    at.getTime(),
  );
  const table: Table = await historicalTable(config, registry, {
    entities: { columns: { ...columns, event_timestamp: entities.map(() => at) } },
    features,
    fullFeatureNames: true,
  });

  const names = answer.metadata.feature_names;
  const rowMismatch = new Array<boolean>(entities.length).fill(false);
  let valuesCompared = 0;
  let valuesMismatched = 0;
  const examples: Mismatch[] = [];
  for (const feature of view.features) {
    const name = `${view.name}__${feature.name}`;
    const column = answer.results[names.indexOf(name)];
    const offline = table.getChild(name);
    if (!column || !offline) throw new Error(`feature ${name} is missing from one side of the comparison`);
    for (let row = 0; row < entities.length; row++) {
      const status = column.statuses[row]!;
      const onlineValue = column.values[row];
      const offlineValue = offline.get(row);
      valuesCompared++;
      if (status !== 'INVALID' && sameValue(feature.type, onlineValue, offlineValue)) continue;
      valuesMismatched++;
      rowMismatch[row] = true;
      if (examples.length < MAX_EXAMPLES)
        examples.push({
          entity: Object.fromEntries(joinKeys.map((k, i) => [k.name, showValue(entities[row]![i])])),
          feature: feature.name,
          status,
          online: display(feature.type, onlineValue),
          offline: display(feature.type, offlineValue),
        });
    }
  }
  const mismatched = rowMismatch.filter(Boolean).length;
  return {
    ...base,
    sampled: entities.length,
    mismatched,
    mismatchRatio: mismatched / entities.length,
    valuesCompared,
    valuesMismatched,
    examples,
  };
}

/** Compares online values with the training join at one instant for a sample of each view's entities. */
export async function checkConsistency(
  config: OfflineConfig,
  registry: Registry,
  online: OnlineStore,
  options: ConsistencyOptions = {},
): Promise<ConsistencyReport> {
  const size = options.sample ?? DEFAULT_SAMPLE;
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000)
    throw new TroveError(
      'INVALID_ARGUMENT',
      `sample: expected a whole number from 1 to 1000000, got ${size}`,
    );
  const at = options.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw new TroveError('INVALID_TIMESTAMP', 'at: invalid Date');
  const views = checkedViews(registry, options.views);
  const results: ViewConsistency[] = [];
  for (const view of views) {
    const result = {
      ...(await checkView(config, registry, online, view, size, at)),
      checkedAt: new Date().toISOString(),
    };
    if (options.record ?? true) {
      const { mismatchRatio, sampled, mismatched, checkedAt } = result;
      await recordConsistency(online, registry, view.name, {
        mismatchRatio,
        sampled,
        mismatched,
        at: result.at,
        checkedAt,
      });
    }
    results.push(result);
  }
  return { at: at.toISOString(), views: results };
}
