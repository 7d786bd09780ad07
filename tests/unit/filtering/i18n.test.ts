// Filtering messages exist in Vietnamese and English for every code a teacher or IT staff can meet.
import { describe, expect, it } from 'vitest';
import { filterListErrorKeys } from '../../../src/shared/filtering/errors.js';
import { presetProfile } from '../../../src/shared/filtering/presets.js';
import type { LineProblem } from '../../../src/shared/filtering/list-report.js';
import type { CompileProblemKind } from '../../../src/shared/filtering/compile.js';
import { filteringCatalogue } from '../../../src/shared/i18n/filtering.js';

const compileProblemKinds: CompileProblemKind[] = ['bad-category-name', 'kind-conflict', 'too-many-categories'];

const lineProblems: LineProblem[] = [
  'empty', 'label-empty', 'label-too-long', 'name-too-long', 'bad-character', 'ip-address', 'wildcard', 'single-label', 'bad-idn',
  'url', 'missing-name', 'missing-address', 'line-too-long', 'not-a-list',
  'cosmetic-rule', 'url-path', 'regular-expression', 'unsupported-rule', 'unsupported-modifier', 'hosts-redirect', 'hosts-boilerplate',
];

describe('filtering catalogue', () => {
  it('has the same keys in both languages, all under filtering.', () => {
    expect(Object.keys(filteringCatalogue.vi).sort()).toEqual(Object.keys(filteringCatalogue.en).sort());
    for (const key of Object.keys(filteringCatalogue.vi)) expect(key.startsWith('filtering.')).toBe(true);
  });

  it('explains every blob error, every line problem and every preset category', () => {
    const keys = [
      ...Object.values(filterListErrorKeys),
      ...lineProblems.map((problem) => `filtering.problem.${problem}`),
      ...presetProfile('tieu-hoc').blockedCategories.map((category) => `filtering.category.${category}`),
      'filtering.category.lesson-platforms',
      ...compileProblemKinds.map((kind) => `filtering.compile.${kind}`),
    ];
    for (const key of keys) {
      expect(filteringCatalogue.vi[key], key).toBeTruthy();
      expect(filteringCatalogue.en[key], key).toBeTruthy();
    }
  });
});
