/** Feature services: a searchable list, and a page per service with the features it serves. */
import { Metadata } from '../components/fields-table.tsx';
import { LoadedPage } from '../components/page.tsx';
import { metadataText, SearchList } from '../components/search-list.tsx';
import type { FeatureService, RegistryAnswer } from '../registry-types.ts';
import { href, type Route } from '../router.ts';
import { expandRefs, parseRef, requiredInputs, viewsOfService } from '../usage.ts';
import { useApi } from '../use-api.ts';
import { NameLinks } from './links.tsx';

export function ServicesPage({ route }: { route: Route }) {
  const loaded = useApi<RegistryAnswer>('/registry');
  return (
    <LoadedPage name="services" title="Feature services" loaded={loaded}>
      {(r) => (
        <SearchList
          route={route}
          noun="feature services"
          columns={['Views', 'Features', 'Owner']}
          rows={r.objects.featureServices.map((s) => ({
            name: s.name,
            href: href('services', s.name),
            searchText: `${metadataText(s)} ${s.features.join(' ')}`,
            cells: [
              viewsOfService(r.objects, s.name).join(', '),
              expandRefs(r.objects, s.features).length,
              s.owner ?? '',
            ],
          }))}
        />
      )}
    </LoadedPage>
  );
}

export function ServicePage({ name }: { name: string }) {
  const service = useApi<FeatureService>(`/feature-services/${encodeURIComponent(name)}`);
  const registry = useApi<RegistryAnswer>('/registry');
  const loaded = service.state !== 'ready' ? service : registry.state !== 'ready' ? registry : service;
  return (
    <LoadedPage name="service" title={`Feature service ${name}`} loaded={loaded}>
      {() => {
        if (service.state !== 'ready' || registry.state !== 'ready') return null;
        const s = service.data;
        const objects = registry.data.objects;
        const features = expandRefs(objects, s.features);
        const inputs = requiredInputs(objects, s.features);
        return (
          <>
            <Metadata object={s} />
            <dl class="definition">
              <dt>Views</dt>
              <dd>
                <NameLinks section="views" names={viewsOfService(objects, s.name)} />
              </dd>
              <dt>Entity columns a request sends</dt>
              <dd>
                {[...inputs.joinKeys, ...inputs.requestFields].map((f) => `${f.name} (${f.type})`).join(', ')}
              </dd>
            </dl>
            <div class="overflow-auto">
              <table>
                <caption>Features ({features.length})</caption>
                <thead>
                  <tr>
                    <th>View</th>
                    <th>Feature</th>
                    <th>Type</th>
                  </tr>
                </thead>
                <tbody>
                  {features.map((ref) => {
                    const { view, feature } = parseRef(ref);
                    const type = objects.featureViews
                      .find((v) => v.name === view)
                      ?.features.find((f) => f.name === feature)?.type;
                    return (
                      <tr key={ref} data-feature={ref}>
                        <td>
                          <a href={href('views', view)}>{view}</a>
                        </td>
                        <td>
                          <code>{feature}</code>
                        </td>
                        <td>{type ?? '?'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p>
              <a href={`${href('lookup')}?service=${encodeURIComponent(s.name)}`}>Look up {s.name} online</a>
            </p>
          </>
        );
      }}
    </LoadedPage>
  );
}
