/** The lineage graph of the whole registry: where every feature comes from and who serves it. */
import { LineageGraph } from '../components/lineage-graph.tsx';
import { LoadedPage } from '../components/page.tsx';
import type { RegistryAnswer } from '../registry-types.ts';
import { useApi } from '../use-api.ts';

export function LineagePage() {
  const loaded = useApi<RegistryAnswer>('/registry');
  return (
    <LoadedPage name="lineage" title="Lineage" loaded={loaded}>
      {(r) => (
        <>
          <p>
            Sources feed feature views; on-demand views compute from other views' features and from fields
            sent with each request; services serve features of views.
          </p>
          <LineageGraph objects={r.objects} />
          <p class="legend">
            <span class="key source">source</span> <span class="key request">request field</span>{' '}
            <span class="key batch">batch view</span> <span class="key aggregation">aggregation view</span>{' '}
            <span class="key onDemand">on-demand view</span> <span class="key service">service</span>
          </p>
        </>
      )}
    </LoadedPage>
  );
}
