/**
 * Training datasets: the catalog (`GET /datasets`) with search, and a page per dataset with its
 * manifest (`GET /datasets/:id`): which registry version, code, views, partitions and source files
 * made it, and whether it still verifies, when the server can tell.
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { FeatureStats, summaryOf } from '../components/feature-stats.tsx';
import { ErrorNote, LoadedPage, NotAvailable, Page } from '../components/page.tsx';
import { SearchList } from '../components/search-list.tsx';
import { instant } from '../format.ts';
import { href, type Route } from '../router.ts';
import type { ServerConfig } from '../server-config.ts';
import { useApi } from '../use-api.ts';
import { NameLinks } from './links.tsx';

interface DatasetSummary {
  id: string;
  name: string | null;
  createdAt: string;
  registryVersion: number;
  features: number;
  rows: number;
  output: string;
}

interface ManifestFile {
  size: number;
  fingerprint: string;
  mtime: string;
}

interface Manifest {
  id: string;
  name: string | null;
  createdAt: string;
  project: string;
  troveVersion: string;
  code: { commit: string; clean: boolean } | null;
  registry: { version: number; hash: string };
  request: { features: string[] | null; service: string | null; fullFeatureNames: boolean };
  features: { view: string; feature: string; output: string; viewHash: string }[];
  views: { name: string; kind: string; definitionHash: string }[];
  entities: { kind: string; path: string; rows: number; file: ManifestFile };
  partitions: { view: string; date: string; files: (ManifestFile & { name: string })[] }[];
  sources: (ManifestFile & { source: string; kind: string; path: string })[];
  output: { path: string; format: string; rows: number; sha256: string };
}

interface VerifyReport {
  unchanged: boolean;
  reproducible: boolean;
  changes: { kind: string; name: string; detail: string }[];
  output: { path: string; status: string };
}

function short(hash: string): string {
  return hash.replace(/^(sha256|sampled):/, '').slice(0, 12);
}

export function DatasetsPage({ route, config }: { route: Route; config: ServerConfig }) {
  if (!config.endpoints.datasets)
    return (
      <Page name="datasets" title="Training datasets" state="ready">
        <NotAvailable what="The dataset catalog" endpoint="GET /datasets" />
      </Page>
    );
  return <Catalog route={route} />;
}

function Catalog({ route }: { route: Route }) {
  const loaded = useApi<{ datasets: DatasetSummary[] }>('/datasets');
  return (
    <LoadedPage name="datasets" title="Training datasets" loaded={loaded}>
      {({ datasets }) =>
        datasets.length === 0 ? (
          <p>
            No training dataset has been written to a file yet (<code>trove historical --out FILE</code>).
          </p>
        ) : (
          <SearchList
            route={route}
            noun="datasets"
            columns={['Name', 'Created', 'Rows', 'Features', 'Registry', 'Output']}
            rows={datasets.map((d) => ({
              name: d.id,
              href: href('datasets', d.id),
              searchText: `${d.name ?? ''} ${d.output} ${d.createdAt}`,
              cells: [
                d.name ?? '',
                instant(d.createdAt),
                d.rows,
                d.features,
                `v${d.registryVersion}`,
                d.output,
              ],
            }))}
          />
        )
      }
    </LoadedPage>
  );
}

function Verify({ id }: { id: string }) {
  const [report, setReport] = useState<VerifyReport | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      setReport(await api<VerifyReport>(`/datasets/${encodeURIComponent(id)}/verify`));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="verify">
      <button
        type="button"
        class="secondary"
        onClick={run}
        aria-busy={busy ? 'true' : undefined}
        disabled={busy}
      >
        Verify
      </button>
      {error && <ErrorNote error={error} />}
      {report && (
        <div data-verified={report.unchanged ? 'unchanged' : 'changed'}>
          <p class={report.unchanged ? 'ok' : 'bad'}>
            {report.unchanged
              ? 'Everything it read is unchanged.'
              : `${report.changes.length} inputs changed.`}{' '}
            {report.reproducible ? 'Reproducible.' : 'Not reproducible: a partition version it read is gone.'}{' '}
            Output file: {report.output.status}.
          </p>
          {report.changes.length > 0 && (
            <ul>
              {report.changes.map((c) => (
                <li key={`${c.kind}-${c.name}`}>
                  {c.kind} <code>{c.name}</code>: {c.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

export function DatasetPage({ id, config }: { id: string; config: ServerConfig }) {
  if (!config.endpoints.datasets)
    return (
      <Page name="dataset" title={`Dataset ${id}`} state="ready">
        <NotAvailable what="The dataset catalog" endpoint="GET /datasets/:id" />
      </Page>
    );
  return <Manifest id={id} config={config} />;
}

/** The statistics of a dataset's feature columns, as `GET /datasets/:id/stats` answers them. */
function DatasetStats({ id }: { id: string }) {
  const loaded = useApi<unknown>(`/datasets/${encodeURIComponent(id)}/stats`);
  if (loaded.state === 'loading') return <p aria-busy="true">Reading statistics…</p>;
  if (loaded.state === 'error') return <ErrorNote error={loaded.error} />;
  const summary = summaryOf(loaded.data);
  if (!summary) return <p>The server answered statistics in a form this page does not know.</p>;
  return (
    <section class="dataset-stats" data-rows={summary.rows}>
      <p>{summary.rows} rows</p>
      <div class="stats-grid">
        {summary.features.map((f) => (
          <FeatureStats key={f.name} feature={f} />
        ))}
      </div>
    </section>
  );
}

function Manifest({ id, config }: { id: string; config: ServerConfig }) {
  const loaded = useApi<Manifest>(`/datasets/${encodeURIComponent(id)}`);
  return (
    <LoadedPage name="dataset" title={`Dataset ${id}`} loaded={loaded}>
      {(m) => {
        const partitionsByView = new Map<string, number>();
        for (const p of m.partitions) partitionsByView.set(p.view, (partitionsByView.get(p.view) ?? 0) + 1);
        return (
          <>
            <dl class="definition">
              {m.name && (
                <>
                  <dt>Name</dt>
                  <dd>{m.name}</dd>
                </>
              )}
              <dt>Created</dt>
              <dd>
                {instant(m.createdAt)} by Trove {m.troveVersion}
              </dd>
              <dt>Registry</dt>
              <dd>
                version {m.registry.version} <small>({short(m.registry.hash)})</small>
              </dd>
              <dt>Code</dt>
              <dd>
                {m.code ? (
                  <>
                    commit <code>{m.code.commit.slice(0, 12)}</code>{' '}
                    {m.code.clean ? '(clean tree)' : '(with uncommitted changes)'}
                  </>
                ) : (
                  'not a git checkout'
                )}
              </dd>
              <dt>Asked for</dt>
              <dd>
                {m.request.service ? (
                  <>
                    service <NameLinks section="services" names={[m.request.service]} />
                  </>
                ) : (
                  (m.request.features ?? []).join(', ')
                )}
              </dd>
              <dt>Entity rows</dt>
              <dd>
                {m.entities.rows} from <code>{m.entities.path}</code> ({m.entities.kind})
              </dd>
              <dt>Output</dt>
              <dd>
                <code>{m.output.path}</code>: {m.output.rows} rows, {m.output.format}, sha256{' '}
                <code>{short(m.output.sha256)}</code>
              </dd>
            </dl>
            {config.endpoints.verify ? (
              <Verify id={m.id} />
            ) : (
              <NotAvailable what="Verify status" endpoint="GET /datasets/:id/verify" />
            )}
            <div class="overflow-auto">
              <table>
                <caption>Views read ({m.views.length})</caption>
                <thead>
                  <tr>
                    <th>View</th>
                    <th>Kind</th>
                    <th>Definition</th>
                    <th>Partitions</th>
                  </tr>
                </thead>
                <tbody>
                  {m.views.map((v) => (
                    <tr key={v.name} data-view={v.name}>
                      <td>
                        <a href={href('views', v.name)}>{v.name}</a>
                      </td>
                      <td>{v.kind}</td>
                      <td>
                        <code>{short(v.definitionHash)}</code>
                      </td>
                      <td>{partitionsByView.get(v.name) ?? 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="overflow-auto">
              <table>
                <caption>Features ({m.features.length})</caption>
                <thead>
                  <tr>
                    <th>Column</th>
                    <th>View</th>
                    <th>Feature</th>
                  </tr>
                </thead>
                <tbody>
                  {m.features.map((f) => (
                    <tr key={f.output} data-feature={f.output}>
                      <td>
                        <code>{f.output}</code>
                      </td>
                      <td>{f.view}</td>
                      <td>{f.feature}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="overflow-auto">
              <table>
                <caption>Source files ({m.sources.length})</caption>
                <thead>
                  <tr>
                    <th>Source</th>
                    <th>Path</th>
                    <th>Size</th>
                    <th>Fingerprint</th>
                  </tr>
                </thead>
                <tbody>
                  {m.sources.map((s) => (
                    <tr key={`${s.source}-${s.path}`}>
                      <td>{s.source}</td>
                      <td>
                        <code>{s.path}</code>
                      </td>
                      <td>{s.size}</td>
                      <td>
                        <code>{short(s.fingerprint)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>Statistics of its columns</h2>
            {config.endpoints.datasetStats ? (
              <DatasetStats id={m.id} />
            ) : (
              <NotAvailable what="Dataset statistics" endpoint="GET /datasets/:id/stats" />
            )}
          </>
        );
      }}
    </LoadedPage>
  );
}
