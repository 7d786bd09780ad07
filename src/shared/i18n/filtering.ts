// filtering strings, Vietnamese first. Keys are 'filtering.<name>'.
import type { Catalogue } from './index.js';

export const filteringCatalogue: Catalogue = {
  vi: {},
  en: {},
};
