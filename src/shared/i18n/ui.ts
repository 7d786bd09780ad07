// ui strings, Vietnamese first. Keys are 'ui.<name>'.
import type { Catalogue } from './index.js';

export const uiCatalogue: Catalogue = {
  vi: {},
  en: {},
};
