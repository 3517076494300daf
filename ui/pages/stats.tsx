/**
 * View statistics: per feature the null rate, distinct count, moments, quantiles and a histogram (top
 * values for text), over a chosen range of event time, from `GET /feature-views/:name/stats`; and,
 * when the server has it, drift against a training dataset of the catalog.
 */
import { useState } from 'preact/hooks';
import { FeatureStats, summaryOf } from '../components/feature-stats.tsx';
import { ErrorNote, NotAvailable, Page } from '../components/page.tsx';
import type { RegistryAnswer } from '../registry-types.ts';
import { href, type Route, setQuery } from '../router.ts';
import type { ServerConfig } from '../server-config.ts';
import { useApi } from '../use-api.ts';

interface DriftAnswer {
  features: { feature: string; psi: number | null; threshold: number; flagged: boolean; skipped?: string }[];
  flagged: number;
}

function Drift({
  view,
  datasets,
  start,
  end,
}: {
  view: string;
  datasets: string[];
  start: string;
  end: string;
}) {
  const [dataset, setDataset] = useState(datasets[0] ?? '');
  const query = new URLSearchParams({ dataset, ...(start ? { start } : {}), ...(end ? { end } : {}) });
  const loaded = useApi<DriftAnswer>(
    dataset ? `/feature-views/${encodeURIComponent(view)}/drift?${query.toString()}` : undefined,
  );
  if (datasets.length === 0) return <p>No training dataset in the catalog to compare with.</p>;
  return (
    <section class="drift">
      <label>
        Dataset
        <select name="dataset" value={dataset} onChange={(e) => setDataset(e.currentTarget.value)}>
          {datasets.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      {loaded.state === 'loading' && <p aria-busy="true">Comparing…</p>}
      {loaded.state === 'error' && <ErrorNote error={loaded.error} />}
      {loaded.state === 'ready' && (
        <table class="drift-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th>PSI</th>
              <th>Threshold</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {loaded.data.features.map((f) => (
              <tr key={f.feature} class={f.flagged ? 'stale' : ''} data-feature={f.feature}>
                <td>{f.feature}</td>
                <td>{f.psi === null ? (f.skipped ?? '—') : f.psi.toFixed(3)}</td>
                <td>{f.threshold}</td>
                <td>{f.flagged ? 'drifted' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ViewStats({
  view,
  start,
  end,
  config,
}: {
  view: string;
  start: string;
  end: string;
  config: ServerConfig;
}) {
  const query = new URLSearchParams({ ...(start ? { start } : {}), ...(end ? { end } : {}) }).toString();
  const loaded = useApi<unknown>(
    `/feature-views/${encodeURIComponent(view)}/stats${query ? `?${query}` : ''}`,
  );
  const datasets = useApi<{ datasets: { id: string }[] }>(
    config.endpoints.datasets ? '/datasets' : undefined,
  );
  if (loaded.state === 'loading')
    return (
      <section class="view-stats" data-state="loading">
        <p aria-busy="true">Reading statistics…</p>
      </section>
    );
  if (loaded.state === 'error')
    return (
      <section class="view-stats" data-state="error">
        <ErrorNote error={loaded.error} />
      </section>
    );
  const summary = summaryOf(loaded.data);
  if (!summary)
    return (
      <section class="view-stats" data-state="error">
        <p>The server answered statistics in a form this page does not know.</p>
      </section>
    );
  return (
    <section class="view-stats" data-state="ready">
      <p class="rows" data-rows={summary.rows}>
        {summary.rows} rows
        {summary.partitions !== undefined &&
          ` in ${summary.partitions} partitions${summary.from ? `, ${summary.from} to ${summary.to}` : ''}`}
      </p>
      <div class="stats-grid">
        {summary.features.map((f) => (
          <FeatureStats key={f.name} feature={f} />
        ))}
      </div>
      <h2>Drift against a training dataset</h2>
      {config.endpoints.drift && datasets.state === 'ready' ? (
        <Drift view={view} datasets={datasets.data.datasets.map((d) => d.id)} start={start} end={end} />
      ) : (
        !config.endpoints.drift && <NotAvailable what="Drift" endpoint="GET /feature-views/:name/drift" />
      )}
    </section>
  );
}

export function StatsPage({ route, config }: { route: Route; config: ServerConfig }) {
  const registry = useApi<RegistryAnswer>(config.endpoints.stats ? '/registry' : undefined);
  const view = route.query.get('view') ?? '';
  const start = route.query.get('start') ?? '';
  const end = route.query.get('end') ?? '';
  if (!config.endpoints.stats)
    return (
      <Page name="stats" title="Statistics" state="ready">
        <NotAvailable what="Statistics" endpoint="GET /feature-views/:name/stats" />
      </Page>
    );
  const stored =
    registry.state === 'ready' ? registry.data.objects.featureViews.filter((v) => v.kind !== 'onDemand') : [];
  const chosen = view || stored[0]?.name || '';
  return (
    <Page name="stats" title="Statistics" state={registry.state}>
      {registry.state === 'error' && <ErrorNote error={registry.error} />}
      {registry.state === 'ready' && (
        <>
          <form class="stats-range" onSubmit={(e) => e.preventDefault()}>
            <label>
              View
              <select
                name="view"
                value={chosen}
                onChange={(e) => setQuery({ view: e.currentTarget.value, start, end })}
              >
                {stored.map((v) => (
                  <option key={v.name} value={v.name}>
                    {v.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              From (UTC)
              <input
                type="date"
                name="start"
                value={start}
                onChange={(e) => setQuery({ view: chosen, start: e.currentTarget.value, end })}
              />
            </label>
            <label>
              Until (UTC, exclusive)
              <input
                type="date"
                name="end"
                value={end}
                onChange={(e) => setQuery({ view: chosen, start, end: e.currentTarget.value })}
              />
            </label>
          </form>
          {chosen ? (
            <ViewStats
              key={`${chosen}|${start}|${end}`}
              view={chosen}
              start={start}
              end={end}
              config={config}
            />
          ) : (
            <p>
              No stored view to describe. <a href={href('views')}>Feature views</a>
            </p>
          )}
        </>
      )}
    </Page>
  );
}
