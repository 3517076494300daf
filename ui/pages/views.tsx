/**
 * Feature views of every kind: a searchable list, and a page per view with its definition (features
 * and types, ttl, windows, the SQL or the transform's location) and where it is used.
 */
import { FieldsTable, Metadata } from '../components/fields-table.tsx';
import { LoadedPage } from '../components/page.tsx';
import { metadataText, SearchList } from '../components/search-list.tsx';
import { duration, instant } from '../format.ts';
import type { AggregationView, FeatureView, RegistryAnswer } from '../registry-types.ts';
import { href, type Route } from '../router.ts';
import type { ServerConfig } from '../server-config.ts';
import { onDemandConsumers, parseRef, servicesOfView } from '../usage.ts';
import { useApi } from '../use-api.ts';
import { failureText, type ValidationRecord } from '../validation.ts';
import { NameLinks } from './links.tsx';

const KIND_LABELS: Record<FeatureView['kind'], string> = {
  batch: 'batch',
  aggregation: 'aggregation',
  onDemand: 'on demand',
};

/** What a view reads: its source, or an on-demand view's inputs and request fields. */
function readsOf(view: FeatureView): string {
  if (view.kind === 'onDemand')
    return [...view.inputs, ...view.request.map((f) => `request ${f.name}`)].join(', ');
  return view.source;
}

function timing(view: FeatureView): string {
  if (view.kind === 'batch') return view.ttl > 0 ? `ttl ${duration(view.ttl)}` : 'no ttl';
  if (view.kind === 'aggregation') {
    const windows = [...new Set(view.aggregations.flatMap((a) => a.windows))].sort((a, b) => a - b);
    return `windows ${windows.map(duration).join(', ')}`;
  }
  return 'at request time';
}

export function ViewsPage({ route }: { route: Route }) {
  const loaded = useApi<RegistryAnswer>('/registry');
  return (
    <LoadedPage name="views" title="Feature views" loaded={loaded}>
      {(r) => (
        <SearchList
          route={route}
          noun="feature views"
          columns={['Kind', 'Reads', 'Features', 'Timing', 'Owner']}
          rows={r.objects.featureViews.map((v) => ({
            name: v.name,
            href: href('views', v.name),
            searchText: `${metadataText(v)} ${KIND_LABELS[v.kind]} ${v.kind} ${readsOf(v)} ${v.features.map((f) => f.name).join(' ')}`,
            cells: [KIND_LABELS[v.kind], readsOf(v), v.features.length, timing(v), v.owner ?? ''],
          }))}
        />
      )}
    </LoadedPage>
  );
}

function Aggregations({ view }: { view: AggregationView }) {
  return (
    <div class="overflow-auto">
      <table>
        <caption>Aggregations</caption>
        <thead>
          <tr>
            <th>Function</th>
            <th>Column</th>
            <th>Windows</th>
          </tr>
        </thead>
        <tbody>
          {view.aggregations.map((a) => (
            <tr key={`${a.function}-${a.column ?? ''}-${a.windows.join('-')}`}>
              <td>{a.n !== undefined ? `${a.function} (n=${a.n})` : a.function}</td>
              <td>{a.column ?? <span class="none">events</span>}</td>
              <td>{a.windows.map(duration).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Definition({ view }: { view: FeatureView }) {
  return (
    <dl class="definition">
      <dt>Kind</dt>
      <dd data-kind={view.kind}>{KIND_LABELS[view.kind]}</dd>
      {view.kind !== 'onDemand' && (
        <>
          <dt>Entities</dt>
          <dd>
            <NameLinks section="entities" names={view.entities} />
          </dd>
          <dt>Source</dt>
          <dd>
            <NameLinks section="sources" names={[view.source]} />
          </dd>
        </>
      )}
      {view.kind === 'batch' && (
        <>
          <dt>ttl</dt>
          <dd>{duration(view.ttl)}</dd>
        </>
      )}
      {view.kind === 'aggregation' && view.granularity !== undefined && (
        <>
          <dt>Granularity</dt>
          <dd>{duration(view.granularity)}</dd>
        </>
      )}
      {view.kind === 'onDemand' && (
        <>
          <dt>Transform</dt>
          <dd>
            <code data-transform>
              {view.transform.module}#{view.transform.export}
              {view.transform.property ? `.${view.transform.property}` : ''}
            </code>{' '}
            {view.mode && <small>({view.mode} mode)</small>}
          </dd>
          <dt>Inputs</dt>
          <dd>
            {view.inputs.map((ref, i) => {
              const { view: input } = parseRef(ref);
              return (
                <span key={ref}>
                  {i > 0 && ', '}
                  <a href={href('views', input)}>{ref}</a>
                </span>
              );
            })}
          </dd>
        </>
      )}
      <dt>Stored</dt>
      <dd>
        {view.kind === 'onDemand'
          ? 'never (computed when read)'
          : [view.online && 'online', view.offline && 'offline'].filter(Boolean).join(' and ') || 'nowhere'}
      </dd>
    </dl>
  );
}

function LastValidation({ view }: { view: string }) {
  const loaded = useApi<{ views: ValidationRecord[] }>('/validation');
  if (loaded.state !== 'ready') return null;
  const record = loaded.data.views.find((r) => r.view === view);
  return (
    <>
      <h2>Last validation</h2>
      {record ? (
        <p data-validation={record.status}>
          <span class={`check-${record.status}`}>{record.status}</span> at {instant(record.at)}
          {record.failures.length > 0 && `: ${record.failures.map(failureText).join('; ')}`}
        </p>
      ) : (
        <p>No compute has recorded a result yet.</p>
      )}
    </>
  );
}

export function ViewPage({ name, config }: { name: string; config: ServerConfig }) {
  const view = useApi<FeatureView>(`/feature-views/${encodeURIComponent(name)}`);
  const registry = useApi<RegistryAnswer>('/registry');
  const loaded = view.state !== 'ready' ? view : registry.state !== 'ready' ? registry : view;
  return (
    <LoadedPage name="view" title={`Feature view ${name}`} loaded={loaded}>
      {() => {
        if (view.state !== 'ready' || registry.state !== 'ready') return null;
        const v = view.data;
        const objects = registry.data.objects;
        return (
          <>
            <Metadata object={v} />
            <Definition view={v} />
            {v.kind === 'onDemand' && <FieldsTable fields={v.request} caption="Request fields" />}
            {v.kind === 'aggregation' && <Aggregations view={v} />}
            <FieldsTable fields={v.features} caption="Features" />
            {v.kind === 'batch' && v.transformation && (
              <>
                <h2>Transformation</h2>
                <pre>
                  <code>{v.transformation.trim()}</code>
                </pre>
              </>
            )}
            <h2>Used by</h2>
            <dl>
              <dt>Feature services</dt>
              <dd>
                <NameLinks section="services" names={servicesOfView(objects, v.name)} />
              </dd>
              <dt>On-demand views</dt>
              <dd>
                <NameLinks section="views" names={onDemandConsumers(objects, v.name)} />
              </dd>
            </dl>
            {config.endpoints.validation && v.kind !== 'onDemand' && <LastValidation view={v.name} />}
            {config.endpoints.stats && v.kind !== 'onDemand' && (
              <p>
                <a href={`${href('stats')}?view=${encodeURIComponent(v.name)}`}>Statistics of {v.name}</a>
              </p>
            )}
          </>
        );
      }}
    </LoadedPage>
  );
}
