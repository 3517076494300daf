/** Loads an API answer for a component: loading, then the data or the error. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api.ts';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ready'; data: T }
  | { state: 'error'; error: ApiError };

export function useApi<T>(path: string | undefined): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setLoaded({ state: 'loading' });
    api<T>(path).then(
      (data) => live && setLoaded({ state: 'ready', data }),
      (err: unknown) =>
        live &&
        setLoaded({
          state: 'error',
          error: err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)),
        }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  return loaded;
}
