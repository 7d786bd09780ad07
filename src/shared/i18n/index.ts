// i18n catalogues: Vietnamese is the default language, English the second. Each area keeps its
// own catalogue file; this file merges them and offers one lookup with {placeholder} filling.

import { errorsCatalogue } from './errors.js';
import { studentCatalogue } from './student.js';
import { uiCatalogue } from './ui.js';
import { filteringCatalogue } from './filtering.js';
import { agentCatalogue } from './agent.js';
import { shellCatalogue } from './shell.js';

export type Language = 'vi' | 'en';
export const defaultLanguage: Language = 'vi';
export const languages: readonly Language[] = ['vi', 'en'];

/** An area catalogue: the same keys in both languages (checked by a unit test). */
export interface Catalogue {
  vi: Record<string, string>;
  en: Record<string, string>;
}

const catalogues: Catalogue[] = [uiCatalogue, errorsCatalogue, studentCatalogue, filteringCatalogue, agentCatalogue, shellCatalogue];

const merged: Record<Language, Record<string, string>> = { vi: {}, en: {} };
for (const c of catalogues) {
  Object.assign(merged.vi, c.vi);
  Object.assign(merged.en, c.en);
}

export const allCatalogues: readonly Catalogue[] = catalogues;

/** Looks up `key` in `language` (falling back to Vietnamese, then the key) and fills {name} slots. */
export function translate(language: Language, key: string, params?: Record<string, string | number>): string {
  const text = merged[language][key] ?? merged.vi[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Whether a text exists for `key` (codes from the wire may be newer than this catalogue). */
export function hasText(key: string): boolean {
  return key in merged.vi || key in merged.en;
}

/** Both languages at once, for errors shown to a teacher and logged for IT ("vi / en"). */
export function bilingual(key: string, params?: Record<string, string | number>): { vi: string; en: string } {
  return { vi: translate('vi', key, params), en: translate('en', key, params) };
}
