/** Data sources: a searchable list, and a page per source with its fields and the views reading it. */
import { Metadata } from '../components/fields-table.tsx';
import { LoadedPage } from '../components/page.tsx';
import { metadataText, SearchList } from '../components/search-list.tsx';
import type { RegistryAnswer, Source } from '../registry-types.ts';
import { href, type Route } from '../router.ts';
import { servicesOfView, viewsOfSource } from '../usage.ts';
import { useApi } from '../use-api.ts';
import { NameLinks } from './links.tsx';

export function SourcesPage({ route }: { route: Route }) {
  const loaded = useApi<RegistryAnswer>('/registry');
  return (
    <LoadedPage name="sources" title="Data sources" loaded={loaded}>
      {(r) => (
        <SearchList
          route={route}
          noun="sources"
          columns={['Kind', 'Location', 'Views']}
          rows={r.objects.sources.map((s) => ({
            name: s.name,
            href: href('sources', s.name),
            searchText: `${metadataText(s)} ${s.kind} ${s.path ?? ''}`,
            cells: [s.kind, s.path ?? '', viewsOfSource(r.objects, s.name).length],
          }))}
        />
      )}
    </LoadedPage>
  );
}

export function SourcePage({ name }: { name: string }) {
  const source = useApi<Source>(`/data-sources/${encodeURIComponent(name)}`);
  const registry = useApi<RegistryAnswer>('/registry');
  const loaded = source.state !== 'ready' ? source : registry.state !== 'ready' ? registry : source;
  return (
    <LoadedPage name="source" title={`Source ${name}`} loaded={loaded}>
      {() => {
        if (source.state !== 'ready' || registry.state !== 'ready') return null;
        const s = source.data;
        const views = viewsOfSource(registry.data.objects, s.name).map((v) => v.name);
        const services = [...new Set(views.flatMap((v) => servicesOfView(registry.data.objects, v)))];
        const mapping = Object.entries(s.fieldMapping ?? {});
        return (
          <>
            <Metadata object={s} />
            <dl class="definition">
              <dt>Kind</dt>
              <dd>{s.kind}</dd>
              {s.path && (
                <>
                  <dt>Path</dt>
                  <dd>
                    <code>{s.path}</code>
                  </dd>
                </>
              )}
              <dt>Event time field</dt>
              <dd>
                <code>{s.timestampField}</code>
              </dd>
              {s.createdTimestampField && (
                <>
                  <dt>Created time field</dt>
                  <dd>
                    <code>{s.createdTimestampField}</code>
                  </dd>
                </>
              )}
              {mapping.length > 0 && (
                <>
                  <dt>Field mapping</dt>
                  <dd>{mapping.map(([from, to]) => `${from} → ${to}`).join(', ')}</dd>
                </>
              )}
            </dl>
            <h2>Used by</h2>
            <dl>
              <dt>Feature views</dt>
              <dd>
                <NameLinks section="views" names={views} />
              </dd>
              <dt>Feature services (through those views)</dt>
              <dd>
                <NameLinks section="services" names={services} />
              </dd>
            </dl>
          </>
        );
      }}
    </LoadedPage>
  );
}
