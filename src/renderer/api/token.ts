// Web mode access token: arrives once in the URL fragment (#token=…), then lives in sessionStorage
// only, and is removed from the visible address so it is not shown, bookmarked or screenshotted.

export const tokenStorageKey = 'safelab.token';

/** The small part of Storage we use; lets the logic run in tests without a browser. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The token in a fragment such as "#token=abc" or "#lab=1&token=abc", or null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  return token && token.trim() ? token.trim() : null;
}

/** The fragment without the token ('' when nothing else was in it). */
export function hashWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.delete('token');
  const rest = params.toString();
  return rest ? `#${rest}` : '';
}

/**
 * Takes the token from the fragment (saving it and cleaning the address) or, after a reload,
 * from the session storage. Returns null when the page was opened without one.
 */
export function takeToken(
  location: { hash: string; pathname: string; search: string },
  storage: KeyValueStorage | undefined,
  replaceAddress: (url: string) => void,
): string | null {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash) {
    try {
      storage?.setItem(tokenStorageKey, fromHash);
    } catch {
      // Storage may be disabled; the token still works for this page.
    }
    replaceAddress(location.pathname + location.search + hashWithoutToken(location.hash));
    return fromHash;
  }
  try {
    return storage?.getItem(tokenStorageKey) ?? null;
  } catch {
    return null;
  }
}
