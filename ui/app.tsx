/**
 * The shell: without a key (when the server requires one) only the key form shows; with one, the
 * navigation and the page the hash names.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api.ts';
import { KeyForm } from './components/key-form.tsx';
import { DatasetPage, DatasetsPage } from './pages/datasets.tsx';
import { EntitiesPage, EntityPage } from './pages/entities.tsx';
import { HomePage } from './pages/home.tsx';
import { LineagePage } from './pages/lineage.tsx';
import { LookupPage } from './pages/lookup.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { ServicePage, ServicesPage } from './pages/services.tsx';
import { SourcePage, SourcesPage } from './pages/sources.tsx';
import { StatsPage } from './pages/stats.tsx';
import { ViewPage, ViewsPage } from './pages/views.tsx';
import { href, type Route, useRoute } from './router.ts';
import type { ServerConfig } from './server-config.ts';
import { forgetKey, readKey } from './session-key.ts';

const NAV: [string, string][] = [
  ['', 'Home'],
  ['entities', 'Entities'],
  ['sources', 'Sources'],
  ['views', 'Feature views'],
  ['services', 'Services'],
  ['lineage', 'Lineage'],
  ['stats', 'Statistics'],
  ['datasets', 'Datasets'],
  ['lookup', 'Online lookup'],
];

function pageOf(route: Route, config: ServerConfig) {
  const [section = '', name] = route.segments;
  switch (section) {
    case '':
      return <HomePage config={config} />;
    case 'entities':
      return name === undefined ? <EntitiesPage route={route} /> : <EntityPage name={name} />;
    case 'sources':
      return name === undefined ? <SourcesPage route={route} /> : <SourcePage name={name} />;
    case 'views':
      return name === undefined ? <ViewsPage route={route} /> : <ViewPage name={name} config={config} />;
    case 'services':
      return name === undefined ? <ServicesPage route={route} /> : <ServicePage name={name} />;
    case 'lineage':
      return <LineagePage />;
    case 'stats':
      return <StatsPage route={route} config={config} />;
    case 'datasets':
      return name === undefined ? (
        <DatasetsPage route={route} config={config} />
      ) : (
        <DatasetPage id={name} config={config} />
      );
    case 'lookup':
      return <LookupPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App({ config }: { config: ServerConfig }) {
  const [key, setKey] = useState(readKey);
  const route = useRoute();
  useEffect(
    () =>
      whenUnauthorized(() => {
        forgetKey();
        setKey(undefined);
      }),
    [],
  );

  if (config.authRequired && !key) return <KeyForm onKey={setKey} />;

  const section = route.segments[0] ?? '';
  return (
    <>
      <header class="container-fluid top">
        <nav>
          <ul>
            <li>
              <a href={href()} class="brand">
                <strong>Trove</strong>
              </a>
            </li>
          </ul>
          <ul class="session">
            {config.authRequired ? (
              <li>
                <button
                  type="button"
                  class="secondary outline small"
                  onClick={() => {
                    forgetKey();
                    setKey(undefined);
                  }}
                >
                  Forget key
                </button>
              </li>
            ) : (
              <li>
                <small title="The server has no API keys configured, so it serves on loopback only.">
                  open (no API keys)
                </small>
              </li>
            )}
          </ul>
        </nav>
        <nav class="sections" aria-label="Sections">
          <ul>
            {NAV.map(([target, label]) => (
              <li key={target}>
                <a
                  href={href(...(target ? [target] : []))}
                  aria-current={section === target ? 'page' : undefined}
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {/* Keyed by the path, so a page starts anew (loading) when the address names another object. */}
      <Fragment key={route.segments.join('/')}>{pageOf(route, config)}</Fragment>
    </>
  );
}
