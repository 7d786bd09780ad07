// Compiles parsed lists into the one binary blob agents load: sorted 64-bit fingerprints + category bitsets.
//
// compile -> load -> match -> answer, each a file (blob-format.ts has the byte layout). The compiler
// runs on the console; it may use memory and time freely (1 M names: about a second) so that the
// agent's side is one read, no parsing and no allocation per lookup.
//
// Semantics the matcher and the policy rely on:
// - an entry covers the name and all its subdomains;
// - a lookup reports every listed name that covers the query, with its depth (label count) and its
//   category set; the policy lets the most specific one decide (policy.ts);
// - so a listed child carries information its parent cannot: its depth. A child is folded away only
//   when that depth can never matter: its nearest listed parent carries exactly the same set, and
//   the set holds only allow categories (which never block: the policy refuses to block an allow
//   category). A child with block categories is always kept, even under a parent with the same set:
//   a profile's typed allow entry for a name between the two (IT staff allowing
//   school.example.com under a blocked example.com) must still leave the deeper listed child
//   blocked, and without the child the matcher could not know it was there. Likewise a gambling
//   name under an allowed lesson platform, and an allowed name under a blocked parent, stay.
//
// A source that cannot be compiled (a bad category name, a name ending in the reserved `-allow`, a
// category given as both block and allow) is left out and reported in `stats.problems`; it never
// stops the rest of the lists from compiling.
//
// A block list's own `@@` exceptions travel with their source (CompileSource.exceptions) and lift
// that list's entries only. The blob marks entries by category, not by source, so they are compiled
// into `<category>-allow` only when the list has its category to itself; a list sharing its category
// with another keeps its blocks and loses its exceptions (reported), or they would lift the other
// list's entries too. Exceptions of an always-blocked category (adult, gambling, malware…) are
// left out and reported as well: only an allow typed into a profile may open those (policy.ts).

import {
  alignTo4,
  blobFormatVersion,
  blobHeaderBytes,
  blobMagic,
  categoryNamePattern,
  categoryRecordBytes,
  checksumStart,
  entryBytes,
  headerOffsets,
  maxCategories,
  maxCategoryNameBytes,
  type CategoryKind,
} from './blob-format.js';
import { alwaysBlockedCategories, exceptionCategoryOf, exceptionCategorySuffix, isReservedCategoryName } from './categories.js';
import { crc32 } from './crc32.js';
import { fingerprintName, forEachParentFingerprint } from './fingerprint.js';
import { isNormalName } from './names.js';

export interface CompileSource {
  /** Category the names belong to (UT1 name, `doh-providers`, `lesson-platforms`, a custom list's name…). */
  category: string;
  /** 'block' (default) or 'allow'; a category appearing in several sources must have one kind. */
  kind?: CategoryKind;
  /** Names in normal form (the parsers' output). Anything else is counted in `rejectedNames` and left out. */
  names: readonly string[];
  /**
   * A block list's own `@@` exceptions (names in normal form): they lift this list's entries and no
   * other's (see the top of this file). An allow list's are simply more allow entries.
   */
  exceptions?: readonly string[];
}

export interface CompileOptions {
  /** Stored in the header for status screens ("lists from 22/11"); default 0 keeps builds reproducible. */
  builtAtSeconds?: number;
  /**
   * Fold allow-only children away (default true). Off for a profile's typed extras: their allow
   * depths are compared with the depths of another matcher's entries, where an extra entry between
   * a parent and its folded child could sit.
   */
  fold?: boolean;
}

/**
 * Why a source (or its `@@` exceptions) was left out of a build: the whole source for
 * bad-category-name, reserved-category-name, kind-conflict, too-many-categories; only its exceptions
 * for exceptions-shared-category and exceptions-always-blocked.
 */
export type CompileProblemKind =
  | 'bad-category-name'
  | 'reserved-category-name'
  | 'kind-conflict'
  | 'too-many-categories'
  | 'exceptions-shared-category'
  | 'exceptions-always-blocked';

export interface CompileProblem {
  kind: CompileProblemKind;
  /** Bilingual explanation for IT staff (`filtering.compile.<kind>`, with {category}). */
  messageKey: string;
  /** The category the source named. */
  category: string;
  /** Names left out (the source's, or only its exceptions'). */
  names: number;
  detail: string;
}

export interface CompileStats {
  categories: number;
  /** Names given, over the sources compiled (left-out sources are counted in `problems`). */
  inputNames: number;
  /** Names not in normal form, left out. */
  rejectedNames: number;
  /** Distinct names (a name in three categories counts once). */
  uniqueNames: number;
  /** Distinct names folded under their nearest listed parent (same set of allow categories; see above). */
  foldedNames: number;
  /** Fingerprints in the blob. */
  entries: number;
  /** Distinct names that shared a fingerprint with another (merged; expected 0). */
  collisions: number;
  /** Distinct category bitsets in the blob. */
  distinctSets: number;
  blobBytes: number;
  /** Sources left out, with why (empty for a clean build). */
  problems: CompileProblem[];
}

export interface CompiledLists {
  blob: Uint8Array;
  stats: CompileStats;
}

/** Sorts entry indices by (h1, h2) with a 4-pass LSD radix sort on 16-bit digits: O(n), no comparator calls. */
function sortByFingerprint(h1: Uint32Array, h2: Uint32Array, n: number): Uint32Array {
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let scratch = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  const passes: Array<[Uint32Array, number]> = [
    [h2, 0],
    [h2, 16],
    [h1, 0],
    [h1, 16],
  ];
  for (const [key, shift] of passes) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(key[order[i]!]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const e = order[i]!;
      const d = (key[e]! >>> shift) & 0xffff;
      scratch[counts[d]!++] = e;
    }
    const swap = order;
    order = scratch;
    scratch = swap;
  }
  return order;
}

/** Interns category bitsets so equal sets share one id (most names carry a single category). */
class BitsetTable {
  readonly words: number;
  /** Flat words of every set, `words` per set. */
  private data: Uint32Array;
  count = 0;
  private readonly byKey = new Map<string, number>();
  private readonly unionCache = new Map<number, number>();
  private readonly categories: number;

  constructor(categories: number, words: number) {
    this.categories = categories;
    this.words = words;
    this.data = new Uint32Array(Math.max(16, categories * 2) * words);
    // Sets 0..categories-1 are the singletons {c}.
    const scratch = new Uint32Array(words);
    for (let c = 0; c < categories; c++) {
      scratch.fill(0);
      scratch[c >>> 5] = (1 << (c & 31)) >>> 0;
      this.intern(scratch);
    }
  }

  intern(bits: Uint32Array): number {
    const key = bits.join(',');
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    if ((this.count + 1) * this.words > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(bits, this.count * this.words);
    this.byKey.set(key, this.count);
    return this.count++;
  }

  /** Id of set ∪ {category}. */
  withCategory(set: number, category: number): number {
    const word = this.data[set * this.words + (category >>> 5)]!;
    if (word & (1 << (category & 31))) return set;
    const cacheKey = set * this.categories + category;
    const cached = this.unionCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const bits = this.data.slice(set * this.words, (set + 1) * this.words);
    bits[category >>> 5] = (bits[category >>> 5]! | (1 << (category & 31))) >>> 0;
    const id = this.intern(bits);
    this.unionCache.set(cacheKey, id);
    return id;
  }

  wordsOf(set: number): Uint32Array {
    return this.data.subarray(set * this.words, (set + 1) * this.words);
  }
}

/** Index of (a, b) in the sorted pair arrays, or -1. */
function findPair(h1: Uint32Array, h2: Uint32Array, n: number, a: number, b: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = h1[mid]!;
    if (x < a || (x === a && h2[mid]! < b)) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && h1[lo] === a && h2[lo] === b ? lo : -1;
}

/** Compiles `sources` into a versioned, checksummed blob for `DomainMatcher.load`. */
export function compileLists(sources: readonly CompileSource[], options: CompileOptions = {}): CompiledLists {
  // 1. Category table, in order of first appearance. A source that cannot be placed is left out;
  //    a block list's exceptions are placed right after it, in their own allow category.
  const categoryIndex = new Map<string, number>();
  const categories: Array<{ name: string; kind: CategoryKind }> = [];
  const problems: CompileProblem[] = [];
  const alwaysBlocked = new Set(alwaysBlockedCategories);
  const leaveOut = (category: unknown, names: number, problem: CompileProblemKind, detail: string): void => {
    problems.push({ kind: problem, messageKey: `filtering.compile.${problem}`, category: String(category), names, detail });
  };
  const usable = (source: CompileSource): boolean => typeof source.category === 'string' && categoryNamePattern.test(source.category) && !isReservedCategoryName(source.category);
  // How many lists each category would hold (the first kind given wins, as below).
  const firstKind = new Map<string, CategoryKind>();
  const listsIn = new Map<string, number>();
  for (const source of sources) {
    if (!usable(source)) continue;
    const kind = source.kind ?? 'block';
    if (!firstKind.has(source.category)) firstKind.set(source.category, kind);
    if (firstKind.get(source.category) === kind) listsIn.set(source.category, (listsIn.get(source.category) ?? 0) + 1);
  }
  /** What is compiled: each source placed in a category (exceptions as their own entry). */
  const placed: Array<{ category: number; names: readonly string[] }> = [];
  const place = (category: string, kind: CategoryKind, names: readonly string[], what: string): boolean => {
    const known = categoryIndex.get(category);
    if (known !== undefined) {
      if (categories[known]!.kind !== kind) {
        leaveOut(category, names.length, 'kind-conflict', `category ${category} is already a${categories[known]!.kind === 'allow' ? 'n allow' : ' block'} category; this ${what} was left out`);
        return false;
      }
      placed.push({ category: known, names });
      return true;
    }
    if (categories.length >= maxCategories) {
      leaveOut(category, names.length, 'too-many-categories', `a list can carry at most ${maxCategories} categories`);
      return false;
    }
    categoryIndex.set(category, categories.length);
    placed.push({ category: categories.length, names });
    categories.push({ name: category, kind });
    return true;
  };
  for (const source of sources) {
    const kind = source.kind ?? 'block';
    const exceptions = source.exceptions ?? [];
    const names = kind === 'allow' && exceptions.length > 0 ? [...source.names, ...exceptions] : source.names;
    const given = names.length + (kind === 'block' ? exceptions.length : 0);
    if (typeof source.category !== 'string' || !categoryNamePattern.test(source.category)) {
      leaveOut(source.category, given, 'bad-category-name', `category names are 1-${maxCategoryNameBytes} characters of a-z 0-9 _ . - (got ${JSON.stringify(String(source.category).slice(0, 80))})`);
      continue;
    }
    if (isReservedCategoryName(source.category)) {
      leaveOut(source.category, given, 'reserved-category-name', `names ending in "${exceptionCategorySuffix}" are reserved for a list's own @@ exceptions; file this list under another name`);
      continue;
    }
    if (!place(source.category, kind, names, `${kind} list`) || kind === 'allow' || exceptions.length === 0) continue;
    if (alwaysBlocked.has(source.category)) {
      leaveOut(source.category, exceptions.length, 'exceptions-always-blocked', `the @@ exceptions of a list filed under ${source.category} were left out: only an allow typed into a profile can open an always-blocked category`);
    } else if ((listsIn.get(source.category) ?? 0) > 1) {
      leaveOut(source.category, exceptions.length, 'exceptions-shared-category', `the @@ exceptions of a list filed under ${source.category} were left out: another list shares that category and they would lift its entries too; give this list a category of its own`);
    } else {
      place(exceptionCategoryOf(source.category), 'allow', exceptions, `list's @@ exceptions`);
    }
  }
  const categoryCount = categories.length;
  const setWords = Math.max(1, Math.ceil(categoryCount / 32));

  // 2. Fingerprint every name.
  let total = 0;
  for (const p of placed) total += p.names.length;
  const h1 = new Uint32Array(total);
  const h2 = new Uint32Array(total);
  const entryCategory = new Uint16Array(total);
  const entrySource = new Uint32Array(total);
  const entryPosition = new Uint32Array(total);
  const fingerprint = new Uint32Array(2);
  let n = 0;
  let rejectedNames = 0;
  placed.forEach(({ category, names }, sourceIndex) => {
    for (let position = 0; position < names.length; position++) {
      const name = names[position]!;
      if (!isNormalName(name)) {
        rejectedNames++;
        continue;
      }
      fingerprintName(name, fingerprint);
      h1[n] = fingerprint[0]!;
      h2[n] = fingerprint[1]!;
      entryCategory[n] = category;
      entrySource[n] = sourceIndex;
      entryPosition[n] = position;
      n++;
    }
  });
  const nameOf = (entry: number): string => placed[entrySource[entry]!]!.names[entryPosition[entry]!]!;

  // 3. Sort and merge equal fingerprints into distinct names carrying a category set.
  const order = sortByFingerprint(h1, h2, n);
  const sets = new BitsetTable(categoryCount, setWords);
  const uniqueH1 = new Uint32Array(n);
  const uniqueH2 = new Uint32Array(n);
  const uniqueSet = new Uint32Array(n);
  const uniqueEntry = new Uint32Array(n);
  let unique = 0;
  let collisions = 0;
  for (let i = 0; i < n; i++) {
    const e = order[i]!;
    const last = unique - 1;
    if (unique > 0 && h1[e] === uniqueH1[last] && h2[e] === uniqueH2[last]) {
      uniqueSet[last] = sets.withCategory(uniqueSet[last]!, entryCategory[e]!);
      if (nameOf(e) !== nameOf(uniqueEntry[last]!)) collisions++;
      continue;
    }
    uniqueH1[unique] = h1[e]!;
    uniqueH2[unique] = h2[e]!;
    uniqueSet[unique] = entryCategory[e]!;
    uniqueEntry[unique] = e;
    unique++;
  }

  // Per-category counts of distinct names, before folding (what the UI shows as "list size").
  const categoryEntryCounts = new Uint32Array(categoryCount);
  for (let u = 0; u < unique; u++) {
    const words = sets.wordsOf(uniqueSet[u]!);
    for (let w = 0; w < setWords; w++) {
      for (let bits = words[w]!; bits !== 0; bits &= bits - 1) {
        categoryEntryCounts[w * 32 + (31 - Math.clz32(bits & -bits))]!++;
      }
    }
  }

  // 4. Fold names whose nearest listed parent carries exactly their category set (sets are
  //    interned, so equal sets have equal ids) when that set holds only allow categories.
  const allowOnlySet = new Uint8Array(sets.count);
  const blockCategories = new Uint32Array(setWords);
  categories.forEach((category, c) => {
    if (category.kind === 'block') blockCategories[c >>> 5] = (blockCategories[c >>> 5]! | (1 << (c & 31))) >>> 0;
  });
  for (let set = 0; set < sets.count; set++) {
    const words = sets.wordsOf(set);
    let holdsBlock = false;
    for (let w = 0; w < setWords; w++) if ((words[w]! & blockCategories[w]!) !== 0) holdsBlock = true;
    allowOnlySet[set] = holdsBlock ? 0 : 1;
  }
  const keep = new Uint8Array(unique);
  let foldedNames = 0;
  const fold = options.fold ?? true;
  for (let u = 0; u < unique; u++) {
    if (!fold || !allowOnlySet[uniqueSet[u]!]) {
      keep[u] = 1;
      continue;
    }
    let nearestParent = -1;
    // Parents come shortest first, so the last one found is the nearest.
    forEachParentFingerprint(nameOf(uniqueEntry[u]!), (p1, p2) => {
      const parent = findPair(uniqueH1, uniqueH2, unique, p1, p2);
      if (parent >= 0) nearestParent = parent;
    });
    if (nearestParent >= 0 && uniqueSet[nearestParent] === uniqueSet[u]) foldedNames++;
    else keep[u] = 1;
  }

  // 5. Renumber the sets the kept entries use, in order of first use.
  const finalSetOf = new Int32Array(sets.count).fill(-1);
  const finalSets: number[] = [];
  let entryCount = 0;
  for (let u = 0; u < unique; u++) {
    if (!keep[u]) continue;
    entryCount++;
    const set = uniqueSet[u]!;
    if (finalSetOf[set] === -1) {
      finalSetOf[set] = finalSets.length;
      finalSets.push(set);
    }
  }
  const setCount = finalSets.length;

  // 6. Lay out and write the blob.
  const encoder = new TextEncoder();
  const nameBytes = categories.map((category) => encoder.encode(category.name));
  const categoryTableOffset = blobHeaderBytes;
  const categoryTableBytes = categoryCount * categoryRecordBytes + nameBytes.reduce((sum, bytes) => sum + bytes.length, 0);
  const setTableOffset = alignTo4(categoryTableOffset + categoryTableBytes);
  const entryTableOffset = setTableOffset + setCount * setWords * 4;
  const totalLength = entryTableOffset + entryCount * entryBytes;

  const blob = new Uint8Array(totalLength);
  const view = new DataView(blob.buffer);
  blob.set(blobMagic, headerOffsets.magic);
  view.setUint16(headerOffsets.version, blobFormatVersion, true);
  view.setUint32(headerOffsets.totalLength, totalLength, true);
  view.setUint32(headerOffsets.categoryCount, categoryCount, true);
  view.setUint32(headerOffsets.setCount, setCount, true);
  view.setUint32(headerOffsets.entryCount, entryCount, true);
  view.setUint16(headerOffsets.setWords, setWords, true);
  view.setUint16(headerOffsets.entryBytes, entryBytes, true);
  view.setUint32(headerOffsets.categoryTableOffset, categoryTableOffset, true);
  view.setUint32(headerOffsets.setTableOffset, setTableOffset, true);
  view.setUint32(headerOffsets.entryTableOffset, entryTableOffset, true);
  view.setUint32(headerOffsets.builtAtSeconds, (options.builtAtSeconds ?? 0) >>> 0, true);

  let cursor = categoryTableOffset;
  categories.forEach((category, c) => {
    view.setUint32(cursor, categoryEntryCounts[c]!, true);
    view.setUint8(cursor + 4, category.kind === 'allow' ? 1 : 0);
    view.setUint8(cursor + 5, nameBytes[c]!.length);
    cursor += categoryRecordBytes;
  });
  for (const bytes of nameBytes) {
    blob.set(bytes, cursor);
    cursor += bytes.length;
  }

  cursor = setTableOffset;
  for (const set of finalSets) {
    const words = sets.wordsOf(set);
    for (let w = 0; w < setWords; w++, cursor += 4) view.setUint32(cursor, words[w]!, true);
  }

  let entryCursor = entryTableOffset;
  for (let u = 0; u < unique; u++) {
    if (!keep[u]) continue;
    view.setUint32(entryCursor, uniqueH1[u]!, true);
    view.setUint32(entryCursor + 4, uniqueH2[u]!, true);
    view.setUint32(entryCursor + 8, finalSetOf[uniqueSet[u]!]!, true);
    entryCursor += entryBytes;
  }

  view.setUint32(headerOffsets.checksum, crc32(blob.subarray(checksumStart)), true);

  return {
    blob,
    stats: {
      categories: categoryCount,
      inputNames: total,
      rejectedNames,
      uniqueNames: unique + collisions,
      foldedNames,
      entries: entryCount,
      collisions,
      distinctSets: setCount,
      blobBytes: totalLength,
      problems,
    },
  };
}

/**
 * The compile source of one parsed list: its names in `category`; for a block list, its own `@@`
 * exceptions travel with it (compileLists files them under `<category>-allow` when the list has
 * its category to itself, see the top of this file); for an allow list, every name is an allow
 * entry of `category`.
 */
export function sourcesOfList(
  category: string,
  kind: CategoryKind,
  parsed: { readonly block: readonly string[]; readonly allow: readonly string[] },
): CompileSource[] {
  if (kind === 'allow') return [{ category, kind, names: [...parsed.block, ...parsed.allow] }];
  return [{ category, kind, names: parsed.block, ...(parsed.allow.length > 0 ? { exceptions: parsed.allow } : {}) }];
}
