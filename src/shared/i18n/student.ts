// student strings, Vietnamese first. Keys are 'student.<name>'.
import type { Catalogue } from './index.js';

export const studentCatalogue: Catalogue = {
  vi: {},
  en: {},
};
