/** Training datasets: the catalog, each dataset's manifest and whether it still verifies. */
import { NotAvailable, Page } from '../components/page.tsx';
import type { ServerConfig } from '../server-config.ts';

export function DatasetsPage({ config }: { config: ServerConfig }) {
  return (
    <Page name="datasets" title="Training datasets" state="ready">
      {!config.endpoints.datasets && <NotAvailable what="The dataset catalog" endpoint="GET /datasets" />}
    </Page>
  );
}
