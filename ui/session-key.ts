/**
 * The API key, kept in sessionStorage: entered once per browser tab session, gone when the tab
 * closes, never written to localStorage or a cookie (it would outlive the session, or be sent
 * where the UI did not choose to send it).
 */
const STORAGE_KEY = 'trove.apiKey';

export function readKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
