// The filtering rules written the slow, obvious way over the uncompiled lists: what every compiled policy must answer.
import type { CategoryKind } from '../../../src/shared/filtering/blob-format.js';
import { alwaysBlockedCategories } from '../../../src/shared/filtering/categories.js';
import { normaliseName } from '../../../src/shared/filtering/names.js';
import type { FilterProfile, FilterRules } from '../../../src/shared/filtering/profile.js';
import type { Verdict } from '../../../src/shared/filtering/policy.js';

export interface ReferenceSource {
  category: string;
  kind?: CategoryKind;
  names: readonly string[];
  /** A block list's own `@@` exceptions: they lift this list's entries and no other's. */
  exceptions?: readonly string[];
}

/** Label count of `listed` when it is `query` or one of its parents, else 0. */
function coverDepth(listed: string, query: string): number {
  return query === listed || query.endsWith(`.${listed}`) ? listed.split('.').length : 0;
}

function depthsIn(names: readonly string[], query: string): number[] {
  return names.map((name) => coverDepth(name, query)).filter((depth) => depth > 0);
}

const alwaysBlocked = new Set(alwaysBlockedCategories);

/** Names ending in `-allow` belong to lists' exceptions: no list may be filed under one, and no profile may name one. */
const reserved = (category: string): boolean => category.endsWith('-allow');

/** The lists that count: none filed under a reserved name, none whose kind disagrees with the first list of its category. */
function listsThatCount(sources: readonly ReferenceSource[]): ReferenceSource[] {
  const firstKind = new Map<string, CategoryKind>();
  return sources.filter((source) => {
    if (reserved(source.category)) return false;
    const kind = source.kind ?? 'block';
    if (!firstKind.has(source.category)) firstKind.set(source.category, kind);
    return firstKind.get(source.category) === kind;
  });
}

/**
 * One rule layer's verdict. Every block entry covering the name is lifted only by an allow entry
 * at least as deep that is strong enough: a typed allow lifts anything; an allowed category lifts
 * ordinary category blocks; a list's own exceptions lift that list's entries, and only when the list
 * has its category to itself and the category is not always blocked. Any block left standing
 * blocks; else any allow allows; else the mode decides. Folding, fingerprints, category sets and
 * exception categories do not exist here: the lists are read as given, list by list.
 */
function layerVerdict(sources: readonly ReferenceSource[], rules: FilterRules, query: string): Verdict {
  const typed = (list: readonly string[]): number[] =>
    list.flatMap((raw) => {
      const normal = normaliseName(raw.trim());
      return normal.ok ? depthsIn([normal.name], query) : [];
    });
  const typedAllows = typed(rules.extraAllow);
  const typedBlocks = typed(rules.extraBlock);
  const lists = listsThatCount(sources);
  const listsOf = (category: string): ReferenceSource[] => lists.filter((source) => source.category === category);
  // An allow list's "exceptions" are just more allow entries.
  const namesOf = (category: string): string[] =>
    listsOf(category).flatMap((source) => [...source.names, ...((source.kind ?? 'block') === 'allow' ? (source.exceptions ?? []) : [])]);
  const categoryAllows = rules.allowCategories.filter((category) => !reserved(category)).flatMap((category) => depthsIn(namesOf(category), query));
  const deepest = (depths: number[]): number => Math.max(-1, ...depths);

  const typedAllow = deepest(typedAllows);
  const anyAllow = Math.max(typedAllow, deepest(categoryAllows));
  let standing = typedBlocks.some((depth) => depth > typedAllow);
  for (const category of rules.blockedCategories) {
    const blockLists = listsOf(category);
    // An allow list named as a blocked category is not applied (policy.ts: ignoredCategories).
    if (blockLists.some((source) => source.kind === 'allow')) continue;
    const always = alwaysBlocked.has(category);
    for (const list of blockLists) {
      const ownExceptions = !always && blockLists.length === 1 ? deepest(depthsIn(list.exceptions ?? [], query)) : -1;
      for (const depth of depthsIn(list.names, query)) {
        if (ownExceptions >= depth) continue;
        const lifter = always ? typedAllow : anyAllow;
        if (lifter < depth) standing = true;
      }
    }
  }
  if (standing) return 'block';
  if (anyAllow >= 0) return 'allow';
  return rules.mode === 'allowlist-only' ? 'block' : 'pass';
}

/** The verdict a profile must give `query` (any case, trailing dot or not) over `sources`. */
export function referenceVerdict(sources: readonly ReferenceSource[], profile: FilterProfile, query: string): Verdict {
  let name = query.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  for (const floor of profile.floors ?? []) if (layerVerdict(sources, floor, name) === 'block') return 'block';
  return layerVerdict(sources, profile, name);
}
