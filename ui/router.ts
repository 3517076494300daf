/**
 * Hash routes (`#/views/driver_hourly_stats?x=1`): the server serves one page at /ui/, and a
 * reload or a shared link lands on the same view without server-side routing.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments, decoded: `#/views/a%20b` is ['views', 'a b']. */
  segments: string[];
  query: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = hash.split('?', 2);
  const segments = pathPart
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  return { segments, query: new URLSearchParams(queryPart) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = (): void => {
      // Where a page's answer time starts (see Page); a first load starts at navigation start.
      performance.mark('trove:navigate');
      setRoute(currentRoute());
    };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The href of a route: `href('views', name)`; segments are encoded. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/** Replaces the query of the current route without adding a history entry per keystroke. */
export function setQuery(params: Record<string, string>): void {
  const { segments } = currentRoute();
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  history.replaceState(null, '', `${href(...segments)}${query ? `?${query}` : ''}`);
  dispatchEvent(new HashChangeEvent('hashchange'));
}
