// The filtering rules written the slow, obvious way over the uncompiled lists: what every compiled policy must answer.
import type { CategoryKind } from '../../../src/shared/filtering/blob-format.js';
import { alwaysBlockedCategories, exceptionCategoryOf } from '../../../src/shared/filtering/categories.js';
import { normaliseName } from '../../../src/shared/filtering/names.js';
import type { FilterProfile, FilterRules } from '../../../src/shared/filtering/profile.js';
import type { Verdict } from '../../../src/shared/filtering/policy.js';

export interface ReferenceSource {
  category: string;
  kind?: CategoryKind;
  names: readonly string[];
}

/** Label count of `listed` when it is `query` or one of its parents, else 0. */
function coverDepth(listed: string, query: string): number {
  return query === listed || query.endsWith(`.${listed}`) ? listed.split('.').length : 0;
}

function depthsIn(names: readonly string[], query: string): number[] {
  return names.map((name) => coverDepth(name, query)).filter((depth) => depth > 0);
}

const alwaysBlocked = new Set(alwaysBlockedCategories);

/**
 * One rule layer's verdict. Every block entry covering the name is lifted only by an allow entry
 * at least as deep that is strong enough: a typed allow lifts anything; an allowed category lifts
 * ordinary category blocks; a list's own exception category lifts that list's entries. Any block
 * left standing blocks; else any allow allows; else the mode decides. Folding, fingerprints and
 * category sets do not exist here: the lists are read as given.
 */
function layerVerdict(sources: readonly ReferenceSource[], rules: FilterRules, query: string): Verdict {
  const typed = (list: readonly string[]): number[] =>
    list.flatMap((raw) => {
      const normal = normaliseName(raw.trim());
      return normal.ok ? depthsIn([normal.name], query) : [];
    });
  const typedAllows = typed(rules.extraAllow);
  const typedBlocks = typed(rules.extraBlock);
  const namesOf = (category: string, kind?: CategoryKind): string[] =>
    sources.filter((source) => source.category === category && (kind === undefined || (source.kind ?? 'block') === kind)).flatMap((source) => [...source.names]);
  const categoryAllows = rules.allowCategories.flatMap((category) => depthsIn(namesOf(category), query));
  const deepest = (depths: number[]): number => Math.max(-1, ...depths);

  const typedAllow = deepest(typedAllows);
  const anyAllow = Math.max(typedAllow, deepest(categoryAllows));
  let standing = typedBlocks.some((depth) => depth > typedAllow);
  for (const category of rules.blockedCategories) {
    // An allow list named as a blocked category is not applied (policy.ts: ignoredCategories).
    if (sources.some((source) => source.category === category && source.kind === 'allow')) continue;
    const exception = deepest(depthsIn(namesOf(exceptionCategoryOf(category), 'allow'), query));
    for (const depth of depthsIn(namesOf(category), query)) {
      if (exception >= depth) continue;
      const lifter = alwaysBlocked.has(category) ? typedAllow : anyAllow;
      if (lifter < depth) standing = true;
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
