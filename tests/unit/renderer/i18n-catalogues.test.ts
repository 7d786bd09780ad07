// Every i18n catalogue speaks both languages with the same keys, and the console UI only asks
// for keys that exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allCatalogues, translate } from '../../../src/shared/i18n/index.js';
import { uiCatalogue } from '../../../src/shared/i18n/ui.js';

const rendererDir = fileURLToPath(new URL('../../../src/renderer', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Keys built at run time from a prefix and a value (see the components that use them). */
const dynamicKeys = [
  ...['noToken', 'unauthorized'].flatMap((k) => [`ui.connection.${k}.title`, `ui.connection.${k}.body`]),
  ...['online', 'reconnectingShort', 'connectingShort', 'offlineShort'].map((k) => `ui.connection.${k}`),
  ...['lock', 'unlock', 'showMessage'].flatMap((c) => [`ui.pending.${c}`, `ui.result.${c}`]),
  ...['done', 'failed', 'offline'].map((s) => `ui.result.status.${s}`),
];

describe('i18n catalogues', () => {
  it('have exactly the same keys in Vietnamese and English', () => {
    expect(allCatalogues.length).toBeGreaterThan(0);
    for (const catalogue of allCatalogues) {
      expect(Object.keys(catalogue.en).sort()).toEqual(Object.keys(catalogue.vi).sort());
    }
  });

  it('have no empty text in either language', () => {
    for (const catalogue of allCatalogues) {
      for (const [key, text] of [...Object.entries(catalogue.vi), ...Object.entries(catalogue.en)]) {
        expect(text.trim(), key).not.toBe('');
      }
    }
  });

  it('use the same {placeholders} in both languages of the ui catalogue', () => {
    const slots = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(uiCatalogue.vi)) {
      expect(slots(uiCatalogue.en[key]!), key).toEqual(slots(uiCatalogue.vi[key]!));
    }
  });

  it('contain every ui key the console screens ask for', () => {
    const used = new Set<string>(dynamicKeys);
    for (const file of sourceFiles(rendererDir)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/['"](ui\.[A-Za-z0-9_.]+[A-Za-z0-9_])['"]/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((key) => !(key in uiCatalogue.vi));
    expect(missing).toEqual([]);
  });

  it('fill placeholders and fall back to Vietnamese then to the key', () => {
    expect(translate('vi', 'ui.result.lock', { done: 11, total: 12 })).toBe('Đã khoá 11/12 máy');
    expect(translate('en', 'ui.result.lock', { done: 11, total: 12 })).toBe('Locked 11 of 12 PCs');
    expect(translate('en', 'ui.no.such.key')).toBe('ui.no.such.key');
  });
});
