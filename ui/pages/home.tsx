/**
 * Home: the project, its registry version and object counts, and for each online view how fresh
 * it is (newest event time and watermark), red when older than its threshold: the view's ttl, or
 * the threshold chosen here for views without one.
 */
import { useMemo, useState } from 'preact/hooks';
import { BarChart, type Bars } from '../components/bar-chart.tsx';
import { ErrorNote, LoadedPage, NotAvailable } from '../components/page.tsx';
import { age, duration, instant } from '../format.ts';
import type { RegistryAnswer } from '../registry-types.ts';
import { href } from '../router.ts';
import type { ServerConfig } from '../server-config.ts';
import { type Loaded, useApi } from '../use-api.ts';
import { failureText, type ValidationRecord } from '../validation.ts';

interface FreshnessAnswer {
  now: string;
  views: {
    name: string;
    kind: string;
    ttl: number;
    newestEventTime: string | null;
    watermark: string | null;
  }[];
}

const DEFAULT_THRESHOLD_HOURS = 24;

function FreshnessTable({
  loaded,
  thresholdHours,
}: {
  loaded: Loaded<FreshnessAnswer>;
  thresholdHours: number;
}) {
  const rows = useMemo(() => {
    if (loaded.state !== 'ready') return [];
    const now = new Date(loaded.data.now).getTime();
    return loaded.data.views.map((v) => {
      const ageSeconds = v.newestEventTime ? (now - new Date(v.newestEventTime).getTime()) / 1000 : null;
      const threshold = v.ttl > 0 ? v.ttl : thresholdHours * 3600;
      const stale = ageSeconds === null || ageSeconds > threshold;
      return { ...v, ageSeconds, threshold, stale };
    });
  }, [loaded, thresholdHours]);
  const bars: Bars = useMemo(
    () => ({
      labels: rows.map((r) => r.name),
      values: rows.map((r) => (r.ageSeconds === null ? 0 : Math.max(0, r.ageSeconds / 3600))),
      colors: rows.map((r) => (r.stale ? '#d93526' : '#398712')),
      valueLabel: 'hours since the newest event',
      horizontal: true,
    }),
    [rows],
  );

  if (loaded.state === 'loading') return <p aria-busy="true">Reading freshness…</p>;
  if (loaded.state === 'error') return <ErrorNote error={loaded.error} />;
  return (
    <>
      <div class="overflow-auto">
        <table class="freshness">
          <thead>
            <tr>
              <th>View</th>
              <th>Newest event</th>
              <th>Age</th>
              <th>Watermark</th>
              <th>Threshold</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.name}
                data-view={r.name}
                data-stale={r.stale ? 'true' : 'false'}
                class={r.stale ? 'stale' : 'fresh'}
              >
                <td>
                  <a href={href('views', r.name)}>{r.name}</a> <small>{r.kind}</small>
                </td>
                <td>{instant(r.newestEventTime)}</td>
                <td>{r.ageSeconds === null ? 'nothing online' : age(r.ageSeconds)}</td>
                <td>{instant(r.watermark)}</td>
                <td>
                  {duration(r.threshold)} {r.ttl > 0 ? <small>(ttl)</small> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > 0 && <BarChart bars={bars} label="freshness" height={48 + rows.length * 36} />}
    </>
  );
}

function ValidationTable() {
  const loaded = useApi<{ views: ValidationRecord[] }>('/validation');
  if (loaded.state === 'loading') return <p aria-busy="true">Reading validation results…</p>;
  if (loaded.state === 'error') return <ErrorNote error={loaded.error} />;
  if (loaded.data.views.length === 0) return <p>No compute has recorded a validation result yet.</p>;
  return (
    <div class="overflow-auto">
      <table class="validation">
        <thead>
          <tr>
            <th>View</th>
            <th>Last compute</th>
            <th>Result</th>
            <th>Failures</th>
          </tr>
        </thead>
        <tbody>
          {loaded.data.views.map((r) => (
            <tr
              key={r.view}
              data-view={r.view}
              data-status={r.status}
              class={r.status === 'failed' ? 'stale' : ''}
            >
              <td>
                <a href={href('views', r.view)}>{r.view}</a>
              </td>
              <td>{instant(r.at)}</td>
              <td>
                <span class={`check-${r.status}`}>{r.status}</span>
                {r.failedComputes > 0 && <small> ({r.failedComputes} refused in all)</small>}
              </td>
              <td>{r.failures.length === 0 ? '—' : r.failures.map(failureText).join('; ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HomePage({ config }: { config: ServerConfig }) {
  const registry = useApi<RegistryAnswer>('/registry');
  const freshness = useApi<FreshnessAnswer>('/freshness');
  const [thresholdHours, setThresholdHours] = useState(DEFAULT_THRESHOLD_HOURS);
  const loaded: Loaded<RegistryAnswer> =
    registry.state === 'ready' && freshness.state === 'loading' ? { state: 'loading' } : registry;

  return (
    <LoadedPage name="home" title="Feature store" loaded={loaded}>
      {(r) => {
        const counts: [string, string, number][] = [
          ['entities', 'Entities', r.objects.entities.length],
          ['sources', 'Sources', r.objects.sources.length],
          ['views', 'Feature views', r.objects.featureViews.length],
          ['services', 'Feature services', r.objects.featureServices.length],
        ];
        return (
          <>
            <p class="project">
              Project <strong data-project={r.project}>{r.project}</strong>, registry version{' '}
              <strong data-registry-version={r.version}>{r.version}</strong>{' '}
              <small>
                ({r.hash.slice(0, 12)}, applied {instant(r.appliedAt)})
              </small>
            </p>
            <div class="counts">
              {counts.map(([target, label, n]) => (
                <a key={target} href={href(target)} class="count-card" data-count-of={target}>
                  <span class="n">{n}</span>
                  <span>{label}</span>
                </a>
              ))}
            </div>
            <h2>Freshness</h2>
            <label class="inline">
              Stale after (views without a ttl), hours{' '}
              <input
                type="number"
                min="1"
                name="threshold"
                value={thresholdHours}
                onInput={(e) => {
                  const n = Number(e.currentTarget.value);
                  if (Number.isFinite(n) && n > 0) setThresholdHours(n);
                }}
              />
            </label>
            <FreshnessTable loaded={freshness} thresholdHours={thresholdHours} />
            <h2>Validation</h2>
            {config.endpoints.validation ? (
              <ValidationTable />
            ) : (
              <NotAvailable what="Validation results" endpoint="GET /validation" />
            )}
          </>
        );
      }}
    </LoadedPage>
  );
}
