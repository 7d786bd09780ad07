// React access to the UI language: a translate function bound to the chosen language.
import { useCallback } from 'react';
import { translate, type Language } from '../../shared/i18n/index.js';
import type { UserText } from '../api/console-error.js';
import { useLanguage } from '../state/language.js';

export type Translate = (key: string, params?: Record<string, string | number>) => string;

export function useText(): Translate {
  const language = useLanguage((s) => s.language);
  return useCallback((key, params) => translate(language, key, params), [language]);
}

export function pickText(language: Language, text: UserText): string {
  return language === 'en' ? text.en : text.vi;
}

/** Picks the language half of a bilingual error. */
export function useUserText(): (text: UserText) => string {
  const language = useLanguage((s) => s.language);
  return useCallback((text) => pickText(language, text), [language]);
}
