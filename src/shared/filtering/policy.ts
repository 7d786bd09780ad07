// A profile compiled against a loaded matcher: the bit masks the DNS filter tests per lookup.
//
// Per lookup: `policy.match(name)` (main list + the profile's small extra lists) then
// `decide(policy, view)`: 'block', 'allow' (explicitly allowed) or 'pass' (not listed; forward it).
//
// Inside one layer of rules, in order:
//   1. extraAllow      -> allow   (what IT staff or the teacher typed wins over any list)
//   2. extraBlock      -> block
//   3. allow category  -> allow   (e.g. lesson-platforms: never broken by an over-broad list; an
//                                  allow entry wins over block entries at any depth)
//   4. allowlist-only  -> block   (anything not allowed)
//   5. block category  -> block   (except where the same list's own `@@` exception, compiled as the
//                                  category `<list>-allow`, covers the name)
//   6.                 -> pass
// A profile's floors (see tighten) are checked first: a name any floor blocks is blocked.
//
// Extra lists are compiled here into a second, tiny matcher instead of into the shared blob: they
// belong to a profile, which changes during a lesson (a teacher adds a site), while the big blob
// changes when lists are refreshed. So a profile switch never re-sends or recompiles the big blob,
// and one blob serves every profile of the lab.

import {
  customAllowCategory,
  customBlockCategory,
  exceptionCategoryOf,
  notOnAllowlistCategory,
} from './categories.js';
import { compileLists, type CompileSource } from './compile.js';
import { DomainMatcher, hasCategory, type MatchView } from './matcher.js';
import { normaliseName, type NameProblem } from './names.js';
import type { BlockResponse, FilterProfile, FilterRules, ProfileMode, YoutubeMode } from './profile.js';
import { safeSearchTarget } from './safesearch.js';

export type Verdict = 'block' | 'allow' | 'pass';

interface Layer {
  mode: ProfileMode;
  blockMask: Uint32Array;
  allowMask: Uint32Array;
  /** [blocked category index, its exception category index] pairs. */
  exceptions: Int32Array;
  customBlockBit: number;
  customAllowBit: number;
}

export interface RejectedExtra {
  name: string;
  problem: NameProblem;
}

export class CompiledPolicy {
  readonly profile: FilterProfile;
  readonly matcher: DomainMatcher;
  readonly mode: ProfileMode;
  readonly safeSearch: boolean;
  readonly youtube: YoutubeMode;
  readonly blockResponse: BlockResponse;
  /** Categories the profile names that the compiled lists do not contain (never downloaded / removed). */
  readonly missingCategories: readonly string[];
  /** Extra names the profile lists that cannot be filtered by name (bad characters, wildcards…). */
  readonly rejectedExtras: readonly RejectedExtra[];
  /** Names of every bit of a policy view: the matcher's categories, then custom-block/custom-allow per layer. */
  readonly categoryNames: readonly string[];

  private readonly extras: DomainMatcher | null;
  private readonly view: MatchView;
  private readonly layers: readonly Layer[];
  private readonly scratch: Uint32Array;

  /** Use compilePolicy. */
  constructor(matcher: DomainMatcher, profile: FilterProfile) {
    this.profile = profile;
    this.matcher = matcher;
    this.mode = profile.mode;
    this.safeSearch = profile.safeSearch;
    this.youtube = profile.youtube;
    this.blockResponse = profile.blockResponse;

    const ruleLayers: FilterRules[] = [profile, ...(profile.floors ?? [])];
    const mainCount = matcher.categoryNames.length;
    const totalBits = mainCount + 2 * ruleLayers.length;
    const words = Math.max(1, Math.ceil(totalBits / 32));
    this.categoryNames = [...matcher.categoryNames, ...ruleLayers.flatMap(() => [customBlockCategory, customAllowCategory])];
    this.view = { listed: false, categories: new Uint32Array(words) };
    this.scratch = new Uint32Array(words);

    const missing = new Set<string>();
    const setBit = (mask: Uint32Array, index: number): void => {
      mask[index >>> 5] = (mask[index >>> 5]! | (1 << (index & 31))) >>> 0;
    };
    this.layers = ruleLayers.map((rules, layerIndex) => {
      const blockMask = new Uint32Array(words);
      const allowMask = new Uint32Array(words);
      const exceptions: number[] = [];
      for (const category of rules.blockedCategories) {
        const index = matcher.categoryIndex(category);
        if (index < 0) {
          missing.add(category);
          continue;
        }
        setBit(blockMask, index);
        const exception = matcher.categoryIndex(exceptionCategoryOf(category));
        if (exception >= 0 && matcher.categoryKinds[exception] === 'allow') exceptions.push(index, exception);
      }
      for (const category of rules.allowCategories) {
        const index = matcher.categoryIndex(category);
        if (index < 0) missing.add(category);
        else setBit(allowMask, index);
      }
      return {
        mode: rules.mode,
        blockMask,
        allowMask,
        exceptions: Int32Array.from(exceptions),
        customBlockBit: mainCount + 2 * layerIndex,
        customAllowBit: mainCount + 2 * layerIndex + 1,
      };
    });
    this.missingCategories = [...missing];

    const rejected: RejectedExtra[] = [];
    const sources: CompileSource[] = [];
    let extraNames = 0;
    ruleLayers.forEach((rules, layerIndex) => {
      for (const [list, kind] of [
        [rules.extraBlock, 'block'],
        [rules.extraAllow, 'allow'],
      ] as const) {
        const names: string[] = [];
        for (const raw of list) {
          const result = normaliseName(raw.trim());
          if (result.ok) names.push(result.name);
          else rejected.push({ name: raw, problem: result.problem });
        }
        extraNames += names.length;
        sources.push({ category: `${kind === 'block' ? customBlockCategory : customAllowCategory}-${layerIndex}`, kind, names });
      }
    });
    this.rejectedExtras = rejected;
    this.extras = extraNames > 0 ? DomainMatcher.load(compileLists(sources).blob) : null;
  }

  /** Looks `name` up in the lists and the profile's extras. The view is reused by the next call. */
  match(name: string): MatchView {
    const view = this.view;
    const categories = view.categories;
    categories.fill(0);
    const main = this.matcher.match(name);
    view.listed = main.listed;
    const mainWords = main.categories;
    for (let w = 0; w < mainWords.length; w++) categories[w] = mainWords[w]!;
    if (this.extras !== null) {
      const extra = this.extras.match(name);
      if (extra.listed) {
        view.listed = true;
        // Extra category j (custom-block/allow of layer j >> 1) lands on bit mainCount + j.
        const offset = this.matcher.categoryNames.length;
        const extraWords = extra.categories;
        for (let w = 0; w < extraWords.length; w++) {
          for (let bits = extraWords[w]!; bits !== 0; bits &= bits - 1) {
            const index = offset + w * 32 + (31 - Math.clz32(bits & -bits));
            categories[index >>> 5] = (categories[index >>> 5]! | (1 << (index & 31))) >>> 0;
          }
        }
      }
    }
    return view;
  }

  /** The verdict for a view returned by this policy's `match`. */
  decide(view: MatchView): Verdict {
    if (view !== this.view) throw new Error('decide() needs the view returned by this policy’s match()');
    const layers = this.layers;
    for (let l = layers.length - 1; l >= 1; l--) if (this.layerVerdict(layers[l]!, view.categories) === 'block') return 'block';
    return this.layerVerdict(layers[0]!, view.categories);
  }

  /**
   * The category to report for a blocked view: a list category name, `custom-block`, or
   * `allowlist-only` when the name is simply not on a lesson allowlist. Null when not blocked.
   */
  blockingCategory(view: MatchView): string | null {
    if (view !== this.view) throw new Error('blockingCategory() needs the view returned by this policy’s match()');
    const layers = this.layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      if (this.layerVerdict(layer, view.categories) !== 'block') continue;
      if (hasCategory(view.categories, layer.customBlockBit)) return customBlockCategory;
      if (this.blockedBits(layer, view.categories)) {
        const scratch = this.scratch;
        for (let w = 0; w < scratch.length; w++) {
          if (scratch[w] !== 0) return this.categoryNames[w * 32 + (31 - Math.clz32(scratch[w]! & -scratch[w]!))]!;
        }
      }
      return notOnAllowlistCategory;
    }
    return null;
  }

  /** The SafeSearch host to answer with (CNAME) for `name` under this profile, or null. */
  safeSearchTarget(name: string): string | null {
    return safeSearchTarget(name, this.youtube, this.safeSearch);
  }

  private layerVerdict(layer: Layer, categories: Uint32Array): Verdict {
    if (hasCategory(categories, layer.customAllowBit)) return 'allow';
    if (hasCategory(categories, layer.customBlockBit)) return 'block';
    const allowMask = layer.allowMask;
    for (let w = 0; w < categories.length; w++) if ((categories[w]! & allowMask[w]!) !== 0) return 'allow';
    if (layer.mode === 'allowlist-only') return 'block';
    return this.blockedBits(layer, categories) ? 'block' : 'pass';
  }

  /** Fills `scratch` with the layer's blocked categories present in the view, minus list exceptions. */
  private blockedBits(layer: Layer, categories: Uint32Array): boolean {
    const scratch = this.scratch;
    const blockMask = layer.blockMask;
    let any = 0;
    for (let w = 0; w < categories.length; w++) any |= scratch[w] = categories[w]! & blockMask[w]!;
    if (any === 0) return false;
    const exceptions = layer.exceptions;
    if (exceptions.length === 0) return true;
    for (let i = 0; i < exceptions.length; i += 2) {
      const blocked = exceptions[i]!;
      if (hasCategory(categories, exceptions[i + 1]!)) scratch[blocked >>> 5] = (scratch[blocked >>> 5]! & ~(1 << (blocked & 31))) >>> 0;
    }
    for (let w = 0; w < scratch.length; w++) if (scratch[w] !== 0) return true;
    return false;
  }
}

/** Compiles `profile` against the loaded lists (fast: masks plus a tiny matcher for the extra lists). */
export function compilePolicy(matcher: DomainMatcher, profile: FilterProfile): CompiledPolicy {
  return new CompiledPolicy(matcher, profile);
}

/** 'block' | 'allow' | 'pass' for a view from `policy.match(name)`. */
export function decide(policy: CompiledPolicy, view: MatchView): Verdict {
  return policy.decide(view);
}
