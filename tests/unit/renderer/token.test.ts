// The web-mode access token: taken once from the address, then only from the session storage.
import { describe, expect, it } from 'vitest';
import { hashWithoutToken, takeToken, tokenFromHash, tokenStorageKey, type KeyValueStorage } from '../../../src/renderer/api/token.js';

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('access token', () => {
  it('is read from the fragment, alone or among other parameters', () => {
    expect(tokenFromHash('#token=abc-DEF_1')).toBe('abc-DEF_1');
    expect(tokenFromHash('#lab=1&token=xyz')).toBe('xyz');
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
  });

  it('is removed from the fragment, keeping the rest', () => {
    expect(hashWithoutToken('#token=abc')).toBe('');
    expect(hashWithoutToken('#lab=1&token=abc')).toBe('#lab=1');
  });

  it('is saved for the session and wiped from the visible address', () => {
    const storage = memoryStorage();
    const replaced: string[] = [];
    const token = takeToken({ hash: '#token=secret', pathname: '/', search: '' }, storage, (url) => replaced.push(url));
    expect(token).toBe('secret');
    expect(storage.data.get(tokenStorageKey)).toBe('secret');
    expect(replaced).toEqual(['/']);
  });

  it('comes from the session storage after a reload', () => {
    const storage = memoryStorage();
    storage.setItem(tokenStorageKey, 'kept');
    const replaced: string[] = [];
    expect(takeToken({ hash: '', pathname: '/', search: '' }, storage, (url) => replaced.push(url))).toBe('kept');
    expect(replaced).toEqual([]);
  });

  it('is missing when the page was opened without the link', () => {
    expect(takeToken({ hash: '', pathname: '/', search: '' }, memoryStorage(), () => undefined)).toBeNull();
    expect(takeToken({ hash: '', pathname: '/', search: '' }, undefined, () => undefined)).toBeNull();
  });
});
