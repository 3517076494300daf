/**
 * A page's frame: its title and its state as data attributes (`data-page`, `data-state`), which the
 * browser tests and the screenshot script wait on.
 */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { ApiError } from '../api.ts';
import type { Loaded } from '../use-api.ts';

export function Page({
  name,
  title,
  state,
  children,
}: {
  name: string;
  title: ComponentChildren;
  state: 'loading' | 'ready' | 'error';
  children?: ComponentChildren;
}) {
  useEffect(() => {
    // Marks when the page shows what it loaded, for the answer times the screenshot script prints.
    if (state !== 'loading') performance.mark('trove:ready', { detail: name });
  }, [state, name]);
  return (
    <main class="container-fluid" data-page={name} data-state={state}>
      <h1>{title}</h1>
      {children}
    </main>
  );
}

export function ErrorNote({ error }: { error: ApiError }) {
  return (
    <article class="error-note">
      <p role="alert">
        <strong>{error.code}</strong>: {error.message}
      </p>
    </article>
  );
}

/** The page frame around what loaded: a busy marker, the error, or the content. */
export function LoadedPage<T>({
  name,
  title,
  loaded,
  children,
}: {
  name: string;
  title: ComponentChildren;
  loaded: Loaded<T>;
  children: (data: T) => ComponentChildren;
}) {
  return (
    <Page name={name} title={title} state={loaded.state}>
      {loaded.state === 'loading' && <p aria-busy="true">Loading…</p>}
      {loaded.state === 'error' && <ErrorNote error={loaded.error} />}
      {loaded.state === 'ready' && children(loaded.data)}
    </Page>
  );
}

/** What a page shows for an endpoint this server does not have. */
export function NotAvailable({ what, endpoint }: { what: string; endpoint: string }) {
  return (
    <article class="not-available" data-not-available={endpoint}>
      <strong>{what} not available.</strong> This server has no <code>{endpoint}</code> endpoint, so there is
      nothing to show here yet.
    </article>
  );
}
