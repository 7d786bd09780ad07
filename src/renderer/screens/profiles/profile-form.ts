// The profile editor's form: a draft from a saved profile, and back to the body the console
// accepts, with every extra name checked line by line (the same normal form the lists use).
import type { FilterProfileBody, FilterListInfo } from '../../../shared/api/contract.js';
import { customAllowCategory, customBlockCategory, exceptionCategorySuffix, lessonPlatformsCategory, notOnAllowlistCategory, ut1AllowCategories } from '../../../shared/filtering/categories.js';
import { normaliseName } from '../../../shared/filtering/names.js';
import type { AgeBand, BlockResponse, FilterProfile, ProfileMode, YoutubeMode } from '../../../shared/filtering/profile.js';
import { filteringCatalogue } from '../../../shared/i18n/filtering.js';

/** Same as the profile schema's limits (src/shared/filtering/profile.ts). */
export const maxExtraNames = 10_000;
export const maxProfileNameChars = 200;

export const ageBandChoices: readonly AgeBand[] = ['tieu-hoc', 'thcs', 'thpt', 'custom'];
export const youtubeChoices: readonly YoutubeMode[] = ['strict', 'moderate', 'off'];
export const blockResponseChoices: readonly BlockResponse[] = ['null-ip', 'nxdomain'];

export interface ProfileDraft {
  name: string;
  ageBand: AgeBand;
  mode: ProfileMode;
  blocked: string[];
  allow: string[];
  /** One name a line, as typed. */
  extraBlock: string;
  extraAllow: string;
  safeSearch: boolean;
  youtube: YoutubeMode;
  blockResponse: BlockResponse;
}

export function draftOf(profile: FilterProfile): ProfileDraft {
  return {
    name: profile.name,
    ageBand: profile.ageBand,
    mode: profile.mode,
    blocked: [...profile.blockedCategories].sort(),
    allow: [...profile.allowCategories].sort(),
    extraBlock: profile.extraBlock.join('\n'),
    extraAllow: profile.extraAllow.join('\n'),
    safeSearch: profile.safeSearch,
    youtube: profile.youtube,
    blockResponse: profile.blockResponse,
  };
}

export function sameDraft(a: ProfileDraft, b: ProfileDraft): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export type NameField = 'extraBlock' | 'extraAllow';

export interface NameLineProblem {
  field: NameField;
  /** 1-based line of the textarea. */
  line: number;
  text: string;
  /** i18n key of why (filtering.problem.* or ui.profiles.problem.*). */
  reasonKey: string;
}

/** Longest line shown back in a problem. */
const maxShownLineChars = 80;

/**
 * The names of a textarea: one a line; blank lines and # comments skipped; a pasted web address
 * counts as its host name (teachers copy them from the address bar). Duplicates are dropped.
 */
export function parseNames(text: string, field: NameField): { names: string[]; problems: NameLineProblem[] } {
  const names: string[] = [];
  const seen = new Set<string>();
  const problems: NameLineProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let candidate = line;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(line)) {
      try {
        candidate = new URL(line).hostname;
      } catch {
        problems.push({ field, line: index + 1, text: line.slice(0, maxShownLineChars), reasonKey: 'filtering.problem.url' });
        return;
      }
    }
    const normal = normaliseName(candidate);
    if (!normal.ok) {
      problems.push({ field, line: index + 1, text: line.slice(0, maxShownLineChars), reasonKey: `filtering.problem.${normal.problem}` });
      return;
    }
    if (seen.has(normal.name)) return;
    seen.add(normal.name);
    names.push(normal.name);
  });
  if (names.length > maxExtraNames) problems.push({ field, line: 0, text: '', reasonKey: 'ui.profiles.tooManyNames' });
  return { names, problems };
}

export type DraftCheck = { ok: true; body: FilterProfileBody } | { ok: false; nameMissing: boolean; problems: NameLineProblem[] };

/** The body to save, or what is wrong with the draft. The always-blocked categories are put back in. */
export function bodyOf(draft: ProfileDraft, alwaysBlocked: readonly string[]): DraftCheck {
  const block = parseNames(draft.extraBlock, 'extraBlock');
  const allow = parseNames(draft.extraAllow, 'extraAllow');
  const name = draft.name.trim();
  const problems = [...block.problems, ...allow.problems];
  if (!name || problems.length > 0) return { ok: false, nameMissing: !name, problems };
  return {
    ok: true,
    body: {
      name: name.slice(0, maxProfileNameChars),
      ageBand: draft.ageBand,
      mode: draft.mode,
      blockedCategories: [...new Set([...alwaysBlocked, ...draft.blocked])],
      allowCategories: [...new Set(draft.allow)],
      extraBlock: block.names,
      extraAllow: allow.names,
      safeSearch: draft.safeSearch,
      youtube: draft.youtube,
      blockResponse: draft.blockResponse,
    },
  };
}

/** Names that are not list categories a profile blocks: ours for allows and reports. */
const notBlockCategories = new Set([lessonPlatformsCategory, customBlockCategory, customAllowCategory, notOnAllowlistCategory, ...ut1AllowCategories]);
const categoryPrefix = 'filtering.category.';
const categoryName = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Categories we have a label for (UT1's and our own), from the filtering catalogue. */
function labelledCategories(): string[] {
  return Object.keys(filteringCatalogue.vi)
    .filter((key) => key.startsWith(categoryPrefix) && key !== 'filtering.category.missing')
    .map((key) => key.slice(categoryPrefix.length))
    .filter((name) => categoryName.test(name));
}

/**
 * Categories to offer as checkboxes: every labelled block category, those the compiled list
 * holds (a school's own list sources), and whatever the profile already names.
 */
export function blockCategoryChoices(list: FilterListInfo | null, profileBlocked: readonly string[]): string[] {
  const names = new Set<string>(labelledCategories().filter((c) => !notBlockCategories.has(c)));
  for (const c of list?.categories ?? []) if (c.kind === 'block' && !c.name.endsWith(exceptionCategorySuffix)) names.add(c.name);
  for (const c of profileBlocked) names.add(c);
  return [...names];
}

/** Allow categories to offer: the lesson platforms, UT1's allowlists, and whatever the profile names. */
export function allowCategoryChoices(list: FilterListInfo | null, profileAllow: readonly string[]): string[] {
  const names = new Set<string>([lessonPlatformsCategory, ...ut1AllowCategories]);
  for (const c of list?.categories ?? []) if (c.kind === 'allow' && !c.name.endsWith(exceptionCategorySuffix)) names.add(c.name);
  for (const c of profileAllow) names.add(c);
  return [...names];
}

/** Categories a compiled list holds (null: no list compiled yet, nothing can be said). */
export function compiledCategories(list: FilterListInfo | null): Set<string> | null {
  return list ? new Set(list.categories.map((c) => c.name)) : null;
}
