/** Entities: a searchable list, and a page per entity with its join keys and the views keyed on it. */
import { FieldsTable, Metadata } from '../components/fields-table.tsx';
import { LoadedPage } from '../components/page.tsx';
import { metadataText, SearchList } from '../components/search-list.tsx';
import type { Entity, RegistryAnswer } from '../registry-types.ts';
import { href, type Route } from '../router.ts';
import { servicesOfView, viewsOfEntity } from '../usage.ts';
import { useApi } from '../use-api.ts';
import { NameLinks } from './links.tsx';

export function EntitiesPage({ route }: { route: Route }) {
  const loaded = useApi<RegistryAnswer>('/registry');
  return (
    <LoadedPage name="entities" title="Entities" loaded={loaded}>
      {(r) => (
        <SearchList
          route={route}
          noun="entities"
          columns={['Join keys', 'Views', 'Owner']}
          rows={r.objects.entities.map((e) => ({
            name: e.name,
            href: href('entities', e.name),
            searchText: `${metadataText(e)} ${e.joinKeys.map((k) => k.name).join(' ')}`,
            cells: [
              e.joinKeys.map((k) => `${k.name}: ${k.type}`).join(', '),
              viewsOfEntity(r.objects, e.name).length,
              e.owner ?? '',
            ],
          }))}
        />
      )}
    </LoadedPage>
  );
}

export function EntityPage({ name }: { name: string }) {
  const entity = useApi<Entity>(`/entities/${encodeURIComponent(name)}`);
  const registry = useApi<RegistryAnswer>('/registry');
  const loaded = entity.state !== 'ready' ? entity : registry.state !== 'ready' ? registry : entity;
  return (
    <LoadedPage name="entity" title={`Entity ${name}`} loaded={loaded}>
      {() => {
        if (entity.state !== 'ready' || registry.state !== 'ready') return null;
        const e = entity.data;
        const views = viewsOfEntity(registry.data.objects, e.name).map((v) => v.name);
        const services = [...new Set(views.flatMap((v) => servicesOfView(registry.data.objects, v)))];
        return (
          <>
            <Metadata object={e} />
            <FieldsTable fields={e.joinKeys} caption="Join keys" />
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
