/**
 * One feature's statistics as a card: null rate, distinct count, min/max, mean and sd, quantiles,
 * and a histogram (top values for text); shared by the statistics page and the dataset page.
 */
import { useMemo } from 'preact/hooks';
import { value as showValue } from '../format.ts';
import { BarChart, type Bars } from './bar-chart.tsx';

/** One feature's statistics as the API shows them (offline/statistics/feature-statistics.ts). */
export interface FeatureSummary {
  name: string;
  type: string;
  count: number;
  nulls: number;
  nullFraction: number | null;
  distinct: number;
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  stddev: number | null;
  quantiles: Record<string, number | null> | null;
  histogram: { lower: number; upper: number; count: number }[] | null;
  topValues: { value: string; count: number }[] | null;
}

export interface StatsAnswer {
  rows: number;
  features: FeatureSummary[];
  /** First and last partition described, and how many, when the server tells. */
  from?: string | null;
  to?: string | null;
  partitions?: number;
}

/** The summary in an answer: at its top level, or under `statistics`. */
export function summaryOf(answer: unknown): StatsAnswer | undefined {
  const candidates = [answer, (answer as { statistics?: unknown } | undefined)?.statistics];
  for (const c of candidates) {
    const s = c as Partial<StatsAnswer> | undefined;
    if (s && Array.isArray(s.features) && typeof s.rows === 'number') return s as StatsAnswer;
  }
  return undefined;
}

function number(n: number | string | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (typeof n === 'string' || Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(4)));
}

export function FeatureStats({ feature }: { feature: FeatureSummary }) {
  const bars: Bars | undefined = useMemo(() => {
    if (feature.histogram && feature.histogram.length > 0)
      return {
        labels: feature.histogram.map((b) => `${number(b.lower)}–${number(b.upper)}`),
        values: feature.histogram.map((b) => b.count),
        colors: '#1a73e8',
        valueLabel: 'rows',
      };
    if (feature.topValues && feature.topValues.length > 0)
      return {
        labels: feature.topValues.map((t) => t.value),
        values: feature.topValues.map((t) => t.count),
        colors: '#8430ce',
        valueLabel: 'rows',
        horizontal: true,
      };
    return undefined;
  }, [feature]);
  const quantiles = Object.entries(feature.quantiles ?? {});
  return (
    <article class="feature-stats" data-feature={feature.name}>
      <header>
        <strong>{feature.name}</strong> <small>{feature.type}</small>
      </header>
      <dl class="stat-grid">
        <dt>Null rate</dt>
        <dd data-null-fraction={feature.nullFraction ?? ''}>
          {feature.nullFraction === null ? '—' : `${(feature.nullFraction * 100).toFixed(2)} %`}{' '}
          <small>({feature.nulls} nulls)</small>
        </dd>
        <dt>Distinct</dt>
        <dd>≈ {feature.distinct}</dd>
        <dt>Min / max</dt>
        <dd>
          {showValue(feature.min)} / {showValue(feature.max)}
        </dd>
        <dt>Mean ± sd</dt>
        <dd>
          {number(feature.mean)} ± {number(feature.stddev)}
        </dd>
      </dl>
      {quantiles.length > 0 && (
        <dl class="quantiles" aria-label="quantiles">
          {quantiles.map(([q, v]) => (
            <div key={q}>
              <dt>{q}</dt>
              <dd>{number(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {bars && <BarChart bars={bars} label={`histogram ${feature.name}`} height={180} />}
    </article>
  );
}
