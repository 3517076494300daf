/**
 * The only thing shown until a key is given: a form that checks the key against the API (a read of
 * the registry) before keeping it for the session.
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { saveKey } from '../session-key.ts';

export function KeyForm({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const entered = key.trim();
    if (!entered) {
      setError('Enter an API key.');
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      await api('/registry', { key: entered });
      saveKey(entered);
      onKey(entered);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The server does not know this key.'
          : err instanceof ApiError && err.status === 403
            ? 'This key lacks the read scope.'
            : `The key could not be checked: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <main class="container key-gate" data-page="key" data-state="ready">
      <article>
        <header>
          <strong>Trove</strong>
        </header>
        <form onSubmit={submit}>
          <label>
            API key (read scope)
            <input
              type="password"
              name="api-key"
              autocomplete="off"
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby="key-help"
            />
          </label>
          <small id="key-help">{error ?? 'Kept for this browser tab only (session storage).'}</small>
          <button type="submit" aria-busy={checking ? 'true' : undefined} disabled={checking}>
            Open
          </button>
        </form>
      </article>
    </main>
  );
}
