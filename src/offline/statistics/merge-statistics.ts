/**
 * Merging stored statistics of groups (partitions) into one, and turning merged statistics into the
 * summary people read. Counts, histograms and distinct-count sketches merge exactly (the merge of
 * partitions equals the statistics of their union); mean and variance merge by Chan's formula, exact
 * up to floating-point rounding; top values are exact when every group listed all of its values.
 */
import type { ValueType } from '../../definitions/value-type.ts';
import {
  type FeatureSummary,
  type GroupStatistics,
  QUANTILES,
  type StatisticsColumn,
  type StatisticsSummary,
  type StoredFeatureStatistics,
  statisticsKindOf,
  TOP_VALUES_SHOWN,
} from './feature-statistics.ts';
import { decodeHll, emptyHll, encodeHll, estimateDistinct, mergeHll } from './hyperloglog.ts';
import { displayHistogram, histogramQuantile, type LogHistogram, mergeHistogram } from './log-histogram.ts';

/** A stored min/max as a number (int64 beyond 2^53 rounded; only for arithmetic, never shown). */
function decimalNumber(text: string): number {
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  if (text === 'nan') return Number.NaN;
  return Number(text);
}

/** Whether stored value `a` is below `b` for `type` (integers and timestamps compared exactly). */
function below(type: ValueType, a: string, b: string): boolean {
  if (type === 'float32' || type === 'float64') {
    const x = decimalNumber(a);
    const y = decimalNumber(b);
    // DuckDB orders NaN above every number.
    if (Number.isNaN(x)) return false;
    return Number.isNaN(y) || x < y;
  }
  return BigInt(a) < BigInt(b);
}

/** The statistics of the union of two sets of values of one feature. */
export function mergeFeature(
  a: StoredFeatureStatistics,
  b: StoredFeatureStatistics,
): StoredFeatureStatistics {
  const type = a.type;
  const out: StoredFeatureStatistics = { type, count: a.count + b.count, distinct: '' };
  out.distinct =
    a.distinct === '' && b.distinct === ''
      ? ''
      : encodeHll(
          mergeHll(
            decodeHll(a.distinct || encodeHll(emptyHll())),
            decodeHll(b.distinct || encodeHll(emptyHll())),
          ),
        );
  if (a.min !== undefined || b.min !== undefined) {
    const pick = (x: string | null | undefined, y: string | null | undefined, low: boolean) => {
      if (x == null) return y ?? null;
      if (y == null) return x;
      return below(type, x, y) === low ? x : y;
    };
    out.min = pick(a.min, b.min, true);
    out.max = pick(a.max, b.max, false);
  }
  if (a.mean !== undefined || b.mean !== undefined) {
    if (a.count === 0 || b.count === 0) {
      const only = a.count === 0 ? b : a;
      out.mean = only.mean ?? null;
      out.m2 = only.m2 ?? null;
    } else if (a.mean == null || b.mean == null || a.m2 == null || b.m2 == null) {
      out.mean = null;
      out.m2 = null;
    } else {
      const n = a.count + b.count;
      const delta = b.mean - a.mean;
      out.mean = a.mean + (delta * b.count) / n;
      out.m2 = a.m2 + b.m2 + (delta * delta * a.count * b.count) / n;
    }
  }
  if (a.histogram || b.histogram) {
    const h = mergeHistogram(toHistogram(a.histogram), toHistogram(b.histogram));
    out.histogram = Object.fromEntries([...h].map(([bin, n]) => [String(bin), n]));
  }
  if (a.top || b.top) {
    const counts = new Map<string, number>();
    for (const [value, n] of [...(a.top ?? []), ...(b.top ?? [])])
      counts.set(value, (counts.get(value) ?? 0) + n);
    out.top = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    out.topComplete = (a.topComplete ?? true) && (b.topComplete ?? true);
  }
  return out;
}

function toHistogram(stored: Record<string, number> | undefined): LogHistogram {
  return new Map(Object.entries(stored ?? {}).map(([bin, n]) => [Number(bin), n]));
}

/** An empty group's statistics for `columns`. */
export function emptyGroup(columns: readonly StatisticsColumn[]): GroupStatistics {
  const features: Record<string, StoredFeatureStatistics> = {};
  for (const c of columns) {
    const kind = statisticsKindOf(c.type);
    const f: StoredFeatureStatistics = { type: c.type, count: 0, distinct: encodeHll(emptyHll()) };
    if (kind === 'numeric' || kind === 'timestamp') {
      f.min = null;
      f.max = null;
    }
    if (kind === 'numeric') {
      f.mean = null;
      f.m2 = null;
      f.histogram = {};
    }
    if (kind === 'categorical') {
      f.top = [];
      f.topComplete = true;
    }
    features[c.name] = f;
  }
  return { rows: 0, features };
}

/** The statistics of the union of `groups`, for `columns` (each group must hold every column). */
export function mergeGroups(
  columns: readonly StatisticsColumn[],
  groups: Iterable<GroupStatistics>,
): GroupStatistics {
  let merged = emptyGroup(columns);
  for (const g of groups) {
    const features: Record<string, StoredFeatureStatistics> = {};
    for (const c of columns) {
      const mine = merged.features[c.name];
      const theirs = g.features[c.name];
      if (!mine || !theirs) throw new Error(`statistics of feature ${c.name} are missing`);
      features[c.name] = mergeFeature(mine, theirs);
    }
    merged = { rows: merged.rows + g.rows, features };
  }
  return merged;
}

/** ISO 8601 of microseconds since the epoch, with the microseconds when there are any. */
function isoMicros(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return rest === 0n ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

function shownExtreme(type: ValueType, text: string | null | undefined): number | string | null {
  if (text == null) return null;
  if (type === 'int64') return text;
  if (type === 'timestamp') return isoMicros(BigInt(text));
  const n = decimalNumber(text);
  return Number.isFinite(n) ? n : String(n);
}

function summarizeFeature(name: string, rows: number, f: StoredFeatureStatistics): FeatureSummary {
  const kind = statisticsKindOf(f.type);
  const min = f.min == null ? Number.NaN : decimalNumberOrMicros(f.type, f.min);
  const max = f.max == null ? Number.NaN : decimalNumberOrMicros(f.type, f.max);
  const histogram = toHistogram(f.histogram);
  const numeric = kind === 'numeric' && f.count > 0;
  return {
    name,
    type: f.type,
    count: f.count,
    nulls: rows - f.count,
    nullFraction: rows === 0 ? null : (rows - f.count) / rows,
    distinct: estimateDistinct(decodeHll(f.distinct || encodeHll(emptyHll()))),
    min: shownExtreme(f.type, f.min),
    max: shownExtreme(f.type, f.max),
    mean: kind === 'numeric' ? (f.mean ?? null) : null,
    stddev:
      kind === 'numeric' && f.count > 1 && f.m2 != null ? Math.sqrt(Math.max(0, f.m2) / (f.count - 1)) : null,
    quantiles: numeric
      ? (Object.fromEntries(
          QUANTILES.map(([key, q]) => {
            const v = histogramQuantile(histogram, q, min, max, f.type === 'int32' || f.type === 'int64');
            return [key, Number.isFinite(v) ? v : null];
          }),
        ) as FeatureSummary['quantiles'])
      : null,
    histogram: numeric ? displayHistogram(histogram, min, max) : kind === 'numeric' ? [] : null,
    topValues:
      kind === 'categorical'
        ? (f.top ?? []).slice(0, TOP_VALUES_SHOWN).map(([value, count]) => ({ value, count }))
        : null,
    topValuesExact: kind === 'categorical' ? (f.topComplete ?? true) : null,
  };
}

function decimalNumberOrMicros(type: ValueType, text: string): number {
  return type === 'timestamp' ? Number(text) : decimalNumber(text);
}

/** What people read of merged statistics: the row count and one summary per column, in order. */
export function summarize(columns: readonly StatisticsColumn[], merged: GroupStatistics): StatisticsSummary {
  return {
    rows: merged.rows,
    features: columns.map((c) => {
      const f = merged.features[c.name];
      if (!f) throw new Error(`statistics of feature ${c.name} are missing`);
      return summarizeFeature(c.name, merged.rows, f);
    }),
  };
}
