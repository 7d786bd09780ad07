// errors strings, Vietnamese first. Keys are 'errors.<name>'.
import type { Catalogue } from './index.js';

export const errorsCatalogue: Catalogue = {
  vi: {},
  en: {},
};
