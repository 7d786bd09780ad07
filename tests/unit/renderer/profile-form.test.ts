// The profile editor's form: extra names checked line by line as the lists are, always-blocked
// categories never lost, and the categories offered as checkboxes.
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FilterListInfo } from '../../../src/shared/api/contract.js';
import { alwaysBlockedCategories, presetProfile } from '../../../src/shared/filtering/presets.js';
import { allowCategoryChoices, blockCategoryChoices, bodyOf, draftOf, parseNames, sameDraft } from '../../../src/renderer/screens/profiles/profile-form.js';

const list = (categories: FilterListInfo['categories']): FilterListInfo => ({
  sha256: 'x',
  bytes: 1,
  entries: 1,
  builtAt: 1,
  categories,
  stats: { inputNames: 0, rejectedNames: 0, uniqueNames: 0, foldedNames: 0 },
  reports: [],
  leftOut: { total: 0, lists: [] },
});

describe('profile form', () => {
  it('reads one name a line: comments and blanks skipped, addresses to their host, duplicates once', () => {
    const { names, problems } = parseNames('# games\nTroChoi.Example.\n\nhttps://www.example.org/path?q=1\ntrochoi.example\nhọc.vn', 'extraBlock');
    expect(problems).toEqual([]);
    expect(names).toEqual(['trochoi.example', 'www.example.org', domainToASCII('học.vn')]);
  });

  it('says which line is wrong and why', () => {
    const { problems } = parseNames('ok.example\nnot a name\n*.wild.example\n10.0.0.1\ncom', 'extraAllow');
    expect(problems.map((p) => [p.line, p.reasonKey])).toEqual([
      [2, 'filtering.problem.bad-character'],
      [3, 'filtering.problem.wildcard'],
      [4, 'filtering.problem.ip-address'],
      [5, 'filtering.problem.single-label'],
    ]);
    expect(problems.every((p) => p.field === 'extraAllow')).toBe(true);
  });

  it('saves what the draft says and puts the always-blocked categories back', () => {
    const draft = { ...draftOf(presetProfile('thpt')), blocked: ['games'], extraBlock: 'a.example', name: '  THPT  ' };
    const check = bodyOf(draft, alwaysBlockedCategories);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.body.name).toBe('THPT');
    expect(check.body.blockedCategories).toEqual(expect.arrayContaining([...alwaysBlockedCategories, 'games']));
    expect(check.body.extraBlock).toEqual(['a.example']);
    expect(check.body.allowCategories).toEqual(['lesson-platforms']);
  });

  it('refuses a draft without a name or with a bad line', () => {
    const check = bodyOf({ ...draftOf(presetProfile('thpt')), name: ' ', extraAllow: 'bad name' }, alwaysBlockedCategories);
    expect(check).toMatchObject({ ok: false, nameMissing: true });
  });

  it('tells an edited draft from the saved profile', () => {
    const saved = draftOf(presetProfile('thcs'));
    expect(sameDraft(saved, draftOf(presetProfile('thcs')))).toBe(true);
    expect(sameDraft(saved, { ...saved, safeSearch: false })).toBe(false);
  });

  it('offers block categories, not allowlists, and keeps a school’s own categories', () => {
    const choices = blockCategoryChoices(list([{ name: 'school-games', kind: 'block', entries: 3 }, { name: 'school-games-allow', kind: 'allow', entries: 1 }]), ['legacy-cat']);
    expect(choices).toEqual(expect.arrayContaining(['adult', 'social_networks', 'doh-providers', 'school-games', 'legacy-cat']));
    for (const notBlock of ['child', 'lesson-platforms', 'custom-block', 'allowlist-only', 'missing', 'school-games-allow']) expect(choices).not.toContain(notBlock);
    expect(allowCategoryChoices(null, [])).toEqual(expect.arrayContaining(['lesson-platforms', 'child']));
  });
});
