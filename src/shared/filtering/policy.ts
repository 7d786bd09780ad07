// A profile compiled against a loaded matcher: per category set, what it means to each rule layer,
// so the DNS filter decides a lookup with a few table reads.
//
// Per lookup: `policy.match(name)` returns a view holding the verdict: 'block', 'allow' (explicitly
// allowed) or 'pass' (not listed; forward it), and for a block the category to report.
//
// A layer's verdict comes from the listed names that cover the query (the name and its parents),
// each with its depth (label count). The most specific listed name decides, and a block is lifted
// only by an allow that is at least as specific (the same name or deeper) AND strong enough for it:
//
//   block entry                                   lifted by an allow entry at the same depth or deeper from
//   typed block   (profile extraBlock)            typed allow only (extraAllow)
//   always-blocked category (categories.ts)       typed allow only: a shipped list never opens adult,
//                                                 gambling, drugs, violence, malware or a filter bypass
//   other blocked category                        typed allow or an allowed category (lesson-platforms, UT1 child…)
//   other blocked category                        also that list's own `@@` exceptions (`<list>-allow`),
//                                                 which lift that list's entries and no other (the
//                                                 compiler files them only for a list alone in its
//                                                 category); never an always-blocked category's
//
// Then: a block entry left unlifted blocks; else any allow entry allows; else 'allowlist-only' mode
// blocks (not on the allowlist) and 'filtered' mode passes. So `example.com` allowed does not open
// `ads.example.com` listed as advertising, `www.example.com` allowed under a blocked `example.com`
// is open, and an allow entry for the same name as a block entry wins (unless the block is
// always-blocked or typed and the allow is not typed).
//
// A profile's floors (see tighten) are checked first: a name any floor blocks is blocked.
//
// A list's exception category is that list's alone: a profile naming one as an allowed (or
// blocked) category has it ignored (ignoredCategories), like an allow list named as blocked.
//
// Extra lists are compiled here into a second, tiny matcher instead of into the shared blob: they
// belong to a profile, which changes during a lesson (a teacher adds a site), while the big blob
// changes when lists are refreshed. So a profile switch never re-sends or recompiles the big blob,
// and one blob serves every profile of the lab.

import {
  alwaysBlockedCategories,
  customAllowCategory,
  customBlockCategory,
  exceptionCategoryOf,
  isReservedCategoryName,
  notOnAllowlistCategory,
} from './categories.js';
import { compileLists, type CompileSource } from './compile.js';
import { DomainMatcher, type MatchView } from './matcher.js';
import { normaliseName, type NameProblem } from './names.js';
import type { BlockResponse, FilterProfile, FilterRules, ProfileMode, YoutubeMode } from './profile.js';
import { safeSearchTarget } from './safesearch.js';

export type Verdict = 'block' | 'allow' | 'pass';

/** Result of `policy.match`: one object per policy, overwritten by the next call. */
export interface PolicyView {
  /** Some list or extra entry covers the name. */
  listed: boolean;
  verdict: Verdict;
  /** For a block: the category to report (a list category, `custom-block` or `allowlist-only`); else null. */
  blockingCategory: string | null;
}

// What a category set means to one layer (bits of Layer.setMeaning).
const allowsName = 1;
const blocksName = 2;
const blocksAlways = 4;
/** The set holds a list's `@@` exception category: exceptions must be worked out per category. */
const holdsException = 8;
// What an extras set means to one layer (bits of Layer.extraMeaning).
const typedBlock = 1;
const typedAllow = 2;

interface Layer {
  mode: ProfileMode;
  /** Per main-matcher category set: allowsName | blocksName | blocksAlways | holdsException. */
  setMeaning: Uint8Array;
  /** Per extras-matcher category set: typedBlock | typedAllow. */
  extraMeaning: Uint8Array;
  blockMask: Uint32Array;
  alwaysMask: Uint32Array;
  /** Per main set: the category to report when this set decides a block (an always-blocked one first), or -1. */
  reportCategory: Int32Array;
  /** Blocked categories that have an exception category, and that exception category, pairwise. */
  exceptionBlocked: Int32Array;
  exceptionAllow: Int32Array;
}

export interface RejectedExtra {
  name: string;
  problem: NameProblem;
}

const noDepth = -1;
// A layer's verdict (layerVerdict): a main hit index (>= 0) for a list block, or one of these.
const reportCustomBlock = -2;
const reportNotOnAllowlist = -3;
const verdictPass = -4;
const verdictAllow = -5;

function isBlock(report: number): boolean {
  return report >= 0 || report === reportCustomBlock || report === reportNotOnAllowlist;
}

const alwaysBlocked: ReadonlySet<string> = new Set(alwaysBlockedCategories);

function setBit(mask: Uint32Array, index: number): void {
  mask[index >>> 5] = (mask[index >>> 5]! | (1 << (index & 31))) >>> 0;
}

function bitOf(words: Uint32Array, index: number): boolean {
  return (words[index >>> 5]! & (1 << (index & 31))) !== 0;
}

/** Index of the lowest bit set in both bitsets, or -1. */
function firstCommonBit(a: Uint32Array, b: Uint32Array): number {
  for (let w = 0; w < a.length; w++) {
    const bits = a[w]! & b[w]!;
    if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
  }
  return -1;
}

function intersects(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w]! & b[w]!) !== 0) return true;
  return false;
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
  /**
   * Allow lists the profile names as blocked categories (lesson-platforms, UT1 child…), and lists'
   * own exception categories (`<list>-allow`) named either way: not applied. An allow list only
   * ever opens names; the compiler relies on it (compile.ts folds allow-only children).
   */
  readonly ignoredCategories: readonly string[];
  /** Extra names the profile lists that cannot be filtered by name (bad characters, wildcards…). */
  readonly rejectedExtras: readonly RejectedExtra[];

  private readonly extras: DomainMatcher | null;
  private readonly view: PolicyView;
  /** The profile's own rules first, then its floors. */
  private readonly layers: readonly Layer[];
  /** Per exception pair of the layer being worked out: depth of the deepest hit holding the exception. */
  private readonly exceptionDepth: Int16Array;
  private readonly scratch: Uint32Array;
  /** Which main hit set the deciding block, for the report (set by layerVerdict). */
  private decidingHit = -1;

  /** Use compilePolicy. */
  constructor(matcher: DomainMatcher, profile: FilterProfile) {
    this.profile = profile;
    this.matcher = matcher;
    this.mode = profile.mode;
    this.safeSearch = profile.safeSearch;
    this.youtube = profile.youtube;
    this.blockResponse = profile.blockResponse;
    this.view = { listed: false, verdict: 'pass', blockingCategory: null };
    this.scratch = new Uint32Array(matcher.setWords);

    const ruleLayers: FilterRules[] = [profile, ...(profile.floors ?? [])];

    // The extra lists of every layer, in one tiny matcher: layer L's names are the categories
    // custom-block-L and custom-allow-L.
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
    // Not folded: an extra allow's depth is compared with the big list's entries (compile.ts).
    const extras = extraNames > 0 ? DomainMatcher.load(compileLists(sources, { fold: false }).blob) : null;
    this.extras = extras;

    const missing = new Set<string>();
    const ignored = new Set<string>();
    let mostExceptions = 0;
    this.layers = ruleLayers.map((rules, layerIndex) => {
      const words = matcher.setWords;
      const blockMask = new Uint32Array(words);
      const alwaysMask = new Uint32Array(words);
      const allowMask = new Uint32Array(words);
      const exceptionBlocked: number[] = [];
      const exceptionAllow: number[] = [];
      for (const category of rules.blockedCategories) {
        const index = matcher.categoryIndex(category);
        if (index < 0) {
          missing.add(category);
          continue;
        }
        if (matcher.categoryKinds[index] === 'allow') {
          ignored.add(category);
          continue;
        }
        setBit(blockMask, index);
        // An always-blocked category's entries are lifted by nothing but a typed allow: no list's
        // exceptions, whatever a blob from any console says.
        if (alwaysBlocked.has(category)) {
          setBit(alwaysMask, index);
          continue;
        }
        const exception = matcher.categoryIndex(exceptionCategoryOf(category));
        if (exception >= 0 && matcher.categoryKinds[exception] === 'allow') {
          exceptionBlocked.push(index);
          exceptionAllow.push(exception);
        }
      }
      for (const category of rules.allowCategories) {
        const index = matcher.categoryIndex(category);
        if (index < 0) missing.add(category);
        else if (isReservedCategoryName(category)) ignored.add(category);
        else setBit(allowMask, index);
      }
      const exceptionMask = new Uint32Array(words);
      for (const index of exceptionAllow) setBit(exceptionMask, index);
      mostExceptions = Math.max(mostExceptions, exceptionAllow.length);

      const setMeaning = new Uint8Array(matcher.setCount);
      const reportCategory = new Int32Array(matcher.setCount).fill(-1);
      for (let set = 0; set < matcher.setCount; set++) {
        const categories = matcher.setCategories(set);
        reportCategory[set] = firstCommonBit(categories, alwaysMask);
        if (reportCategory[set] < 0) reportCategory[set] = firstCommonBit(categories, blockMask);
        setMeaning[set] =
          (intersects(categories, allowMask) ? allowsName : 0) |
          (intersects(categories, blockMask) ? blocksName : 0) |
          (intersects(categories, alwaysMask) ? blocksAlways : 0) |
          (intersects(categories, exceptionMask) ? holdsException : 0);
      }
      const extraMeaning = new Uint8Array(extras?.setCount ?? 0);
      if (extras) {
        const blockIndex = extras.categoryIndex(`${customBlockCategory}-${layerIndex}`);
        const allowIndex = extras.categoryIndex(`${customAllowCategory}-${layerIndex}`);
        for (let set = 0; set < extras.setCount; set++) {
          const categories = extras.setCategories(set);
          extraMeaning[set] = (bitOf(categories, blockIndex) ? typedBlock : 0) | (bitOf(categories, allowIndex) ? typedAllow : 0);
        }
      }
      return {
        mode: rules.mode,
        setMeaning,
        extraMeaning,
        blockMask,
        alwaysMask,
        reportCategory,
        exceptionBlocked: Int32Array.from(exceptionBlocked),
        exceptionAllow: Int32Array.from(exceptionAllow),
      };
    });
    this.missingCategories = [...missing];
    this.ignoredCategories = [...ignored];
    this.exceptionDepth = new Int16Array(mostExceptions);
  }

  /** Looks `name` up in the lists and the profile's extras and decides it. The view is reused by the next call. */
  match(name: string): PolicyView {
    const view = this.view;
    // One hashing pass serves the big lists and the profile's extras.
    const main = this.matcher.match(name, this.extras);
    const extra = this.extras === null ? null : this.extras.lastMatch;
    view.listed = main.listed || (extra !== null && extra.listed);
    // Floors first (any of them blocking blocks), the profile's own rules last and final.
    const layers = this.layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const report = this.layerVerdict(layers[l]!, main, extra);
      if (isBlock(report)) return this.blocked(view, layers[l]!, main, report);
      if (l === 0) view.verdict = report === verdictAllow ? 'allow' : 'pass';
    }
    view.blockingCategory = null;
    return view;
  }

  /** The verdict of a view returned by this policy's `match`. */
  decide(view: PolicyView): Verdict {
    if (view !== this.view) throw new Error('decide() needs the view returned by this policy’s match()');
    return view.verdict;
  }

  /**
   * The category to report for a blocked view: a list category name, `custom-block`, or
   * `allowlist-only` when the name is simply not on a lesson allowlist. Null when not blocked.
   */
  blockingCategory(view: PolicyView): string | null {
    if (view !== this.view) throw new Error('blockingCategory() needs the view returned by this policy’s match()');
    return view.blockingCategory;
  }

  /** The SafeSearch host to answer with (CNAME) for `name` under this profile, or null. */
  safeSearchTarget(name: string): string | null {
    return safeSearchTarget(name, this.youtube, this.safeSearch);
  }

  private blocked(view: PolicyView, layer: Layer, main: MatchView, report: number): PolicyView {
    view.verdict = 'block';
    if (report === reportCustomBlock) view.blockingCategory = customBlockCategory;
    else if (report === reportNotOnAllowlist) view.blockingCategory = notOnAllowlistCategory;
    else view.blockingCategory = this.blockedCategoryName(layer, main, report);
    return view;
  }

  /**
   * One layer's verdict: verdictPass, verdictAllow, reportCustomBlock, reportNotOnAllowlist, or
   * for a list block the index of the main hit that decided it (>= 0).
   */
  private layerVerdict(layer: Layer, main: MatchView, extra: MatchView | null): number {
    let typedAllowDepth = noDepth;
    let typedBlockDepth = noDepth;
    if (extra !== null) {
      const meaning = layer.extraMeaning;
      for (let h = 0; h < extra.hitCount; h++) {
        const m = meaning[extra.hitSets[h]!]!;
        // Hits come shallowest first: the last one seen is the deepest.
        if (m & typedAllow) typedAllowDepth = extra.hitLabels[h]!;
        if (m & typedBlock) typedBlockDepth = extra.hitLabels[h]!;
      }
    }
    let listAllowDepth = noDepth;
    let listBlockDepth = noDepth;
    let alwaysDepth = noDepth;
    let listBlockHit = -1;
    let alwaysHit = -1;
    let exceptions = false;
    const meaning = layer.setMeaning;
    for (let h = 0; h < main.hitCount; h++) {
      const m = meaning[main.hitSets[h]!]!;
      if (m === 0) continue;
      const depth = main.hitLabels[h]!;
      if (m & allowsName) listAllowDepth = depth;
      if (m & blocksName) {
        listBlockDepth = depth;
        listBlockHit = h;
      }
      if (m & blocksAlways) {
        alwaysDepth = depth;
        alwaysHit = h;
      }
      if (m & holdsException) exceptions = true;
    }
    if (exceptions) {
      // A list's `@@` exception lifts that list's entries at its depth and above: work the blocks
      // out again per category.
      listBlockDepth = alwaysDepth = noDepth;
      listBlockHit = alwaysHit = -1;
      this.findExceptionDepths(layer, main);
      for (let h = 0; h < main.hitCount; h++) {
        if ((meaning[main.hitSets[h]!]! & blocksName) === 0) continue;
        const depth = main.hitLabels[h]!;
        if (!this.effectiveBlocks(layer, main.hitSets[h]!, depth)) continue;
        listBlockDepth = depth;
        listBlockHit = h;
        if (intersects(this.scratch, layer.alwaysMask)) {
          alwaysDepth = depth;
          alwaysHit = h;
        }
      }
    }

    if (typedBlockDepth > typedAllowDepth) return reportCustomBlock;
    if (alwaysDepth > typedAllowDepth) return alwaysHit;
    const allowDepth = Math.max(typedAllowDepth, listAllowDepth);
    if (listBlockDepth > allowDepth) return listBlockHit;
    if (allowDepth !== noDepth) return verdictAllow;
    return layer.mode === 'allowlist-only' ? reportNotOnAllowlist : verdictPass;
  }

  /** Fills exceptionDepth: for each of the layer's exception pairs, the deepest hit holding the exception. */
  private findExceptionDepths(layer: Layer, main: MatchView): void {
    const depths = this.exceptionDepth;
    const allow = layer.exceptionAllow;
    for (let i = 0; i < allow.length; i++) depths[i] = noDepth;
    const matcher = this.matcher;
    for (let h = 0; h < main.hitCount; h++) {
      const set = main.hitSets[h]!;
      for (let i = 0; i < allow.length; i++) {
        const x = allow[i]!;
        if ((matcher.setWord(set, x >>> 5) & (1 << (x & 31))) !== 0) depths[i] = main.hitLabels[h]!;
      }
    }
  }

  /**
   * Fills `scratch` with the layer's blocked categories of `set` that no exception lifts at `depth`
   * (needs findExceptionDepths first). Returns whether any is left.
   */
  private effectiveBlocks(layer: Layer, set: number, depth: number): boolean {
    const scratch = this.scratch;
    const matcher = this.matcher;
    const blockMask = layer.blockMask;
    for (let w = 0; w < scratch.length; w++) scratch[w] = matcher.setWord(set, w) & blockMask[w]!;
    const blocked = layer.exceptionBlocked;
    for (let i = 0; i < blocked.length; i++) {
      const b = blocked[i]!;
      if (this.exceptionDepth[i]! >= depth) scratch[b >>> 5] = (scratch[b >>> 5]! & ~(1 << (b & 31))) >>> 0;
    }
    for (let w = 0; w < scratch.length; w++) if (scratch[w] !== 0) return true;
    return false;
  }

  /** The category to report for a list block decided by main hit `hit`: an always-blocked one first. */
  private blockedCategoryName(layer: Layer, main: MatchView, hit: number): string {
    const set = main.hitSets[hit]!;
    const names = this.matcher.categoryNames;
    if (layer.exceptionBlocked.length === 0) return names[layer.reportCategory[set]!]!;
    // With exceptions the set's own first category may be the one an exception lifted.
    this.findExceptionDepths(layer, main);
    this.effectiveBlocks(layer, set, main.hitLabels[hit]!);
    const scratch = this.scratch;
    const first = firstCommonBit(scratch, layer.alwaysMask);
    return names[first >= 0 ? first : firstCommonBit(scratch, scratch)]!;
  }
}

/** Compiles `profile` against the loaded lists (fast: per-set tables plus a tiny matcher for the extra lists). */
export function compilePolicy(matcher: DomainMatcher, profile: FilterProfile): CompiledPolicy {
  return new CompiledPolicy(matcher, profile);
}

/** 'block' | 'allow' | 'pass' for a view from `policy.match(name)`. */
export function decide(policy: CompiledPolicy, view: PolicyView): Verdict {
  return policy.decide(view);
}
