// UI language: Vietnamese by default, English on request; the choice is remembered on this PC.
import { create } from 'zustand';
import { defaultLanguage, type Language } from '../../shared/i18n/index.js';
import { readSetting, writeSetting } from './storage.js';

export const languageSettingKey = 'safelab.language';

export function parseLanguage(value: string | null): Language {
  return value === 'en' || value === 'vi' ? value : defaultLanguage;
}

interface LanguageState {
  language: Language;
  setLanguage(language: Language): void;
}

export const useLanguage = create<LanguageState>((set) => ({
  language: parseLanguage(readSetting(languageSettingKey)),
  setLanguage(language) {
    writeSetting(languageSettingKey, language);
    set({ language });
  },
}));
