// Compiles parsed lists into the one binary blob agents load: sorted 64-bit fingerprints + category bitsets.
//
// compile -> load -> match -> answer, each a file (blob-format.ts has the byte layout). The compiler
// runs on the console; it may use memory and time freely (1 M names: a few hundred ms) so that the
// agent's side is one read, no parsing and no allocation per lookup.
//
// Semantics the matcher relies on:
// - an entry covers the name and all its subdomains;
// - a lookup reports the union of the categories of every listed parent of the name;
// - so an entry whose categories are all already carried by its listed parents adds nothing and is
//   folded away here (example.com [gambling] makes ads.example.com [gambling] redundant, but not
//   ads.example.com [gambling, publicite]).

import {
  alignTo4,
  blobFormatVersion,
  blobHeaderBytes,
  blobMagic,
  categoryNamePattern,
  categoryRecordBytes,
  checksumStart,
  headerOffsets,
  maxCategories,
  type CategoryKind,
} from './blob-format.js';
import { exceptionCategoryOf } from './categories.js';
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
}

export interface CompileOptions {
  /** Stored in the header for status screens ("lists from 22/11"); default 0 keeps builds reproducible. */
  builtAtSeconds?: number;
}

export interface CompileStats {
  categories: number;
  /** Names given, over all sources. */
  inputNames: number;
  /** Names not in normal form, left out. */
  rejectedNames: number;
  /** Distinct names (a name in three categories counts once). */
  uniqueNames: number;
  /** Distinct names folded under a listed parent that already carries their categories. */
  foldedNames: number;
  /** Fingerprints in the blob. */
  entries: number;
  /** Distinct names that shared a fingerprint with another (merged; expected 0). */
  collisions: number;
  /** Distinct category bitsets in the blob. */
  distinctSets: number;
  blobBytes: number;
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
  // 1. Category table, in order of first appearance.
  const categoryIndex = new Map<string, number>();
  const categories: Array<{ name: string; kind: CategoryKind }> = [];
  for (const source of sources) {
    if (!categoryNamePattern.test(source.category)) throw new RangeError(`bad category name: ${JSON.stringify(source.category)}`);
    const kind = source.kind ?? 'block';
    const known = categoryIndex.get(source.category);
    if (known === undefined) {
      categoryIndex.set(source.category, categories.length);
      categories.push({ name: source.category, kind });
    } else if (categories[known]!.kind !== kind) {
      throw new RangeError(`category ${source.category} is both a block and an allow category`);
    }
  }
  if (categories.length > maxCategories) throw new RangeError(`too many categories (${categories.length} > ${maxCategories})`);
  const categoryCount = categories.length;
  const setWords = Math.max(1, Math.ceil(categoryCount / 32));

  // 2. Fingerprint every name.
  let total = 0;
  for (const source of sources) total += source.names.length;
  const h1 = new Uint32Array(total);
  const h2 = new Uint32Array(total);
  const entryCategory = new Uint16Array(total);
  const entrySource = new Uint32Array(total);
  const entryPosition = new Uint32Array(total);
  const fingerprint = new Uint32Array(2);
  let n = 0;
  let rejectedNames = 0;
  sources.forEach((source, sourceIndex) => {
    const category = categoryIndex.get(source.category)!;
    const names = source.names;
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
  const nameOf = (entry: number): string => sources[entrySource[entry]!]!.names[entryPosition[entry]!]!;

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

  // 4. Fold names whose categories their listed parents already carry.
  const keep = new Uint8Array(unique);
  const inherited = new Uint32Array(setWords);
  let foldedNames = 0;
  for (let u = 0; u < unique; u++) {
    inherited.fill(0);
    let hasListedParent = false;
    forEachParentFingerprint(nameOf(uniqueEntry[u]!), (p1, p2) => {
      const parent = findPair(uniqueH1, uniqueH2, unique, p1, p2);
      if (parent < 0) return;
      hasListedParent = true;
      const words = sets.wordsOf(uniqueSet[parent]!);
      for (let w = 0; w < setWords; w++) inherited[w] = (inherited[w]! | words[w]!) >>> 0;
    });
    let covered = hasListedParent;
    if (covered) {
      const own = sets.wordsOf(uniqueSet[u]!);
      for (let w = 0; w < setWords; w++) {
        if ((own[w]! & ~inherited[w]!) !== 0) {
          covered = false;
          break;
        }
      }
    }
    if (covered) foldedNames++;
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
  const setIndexBytes = setCount <= 0x10000 ? 2 : 4;

  // 6. Lay out and write the blob.
  const encoder = new TextEncoder();
  const nameBytes = categories.map((category) => encoder.encode(category.name));
  const categoryTableOffset = blobHeaderBytes;
  const categoryTableBytes = categoryCount * categoryRecordBytes + nameBytes.reduce((sum, bytes) => sum + bytes.length, 0);
  const setTableOffset = alignTo4(categoryTableOffset + categoryTableBytes);
  const fingerprintOffset = setTableOffset + setCount * setWords * 4;
  const setIndexOffset = fingerprintOffset + entryCount * 8;
  const totalLength = alignTo4(setIndexOffset + entryCount * setIndexBytes);

  const blob = new Uint8Array(totalLength);
  const view = new DataView(blob.buffer);
  blob.set(blobMagic, headerOffsets.magic);
  view.setUint16(headerOffsets.version, blobFormatVersion, true);
  view.setUint32(headerOffsets.totalLength, totalLength, true);
  view.setUint32(headerOffsets.categoryCount, categoryCount, true);
  view.setUint32(headerOffsets.setCount, setCount, true);
  view.setUint32(headerOffsets.entryCount, entryCount, true);
  view.setUint16(headerOffsets.setWords, setWords, true);
  view.setUint16(headerOffsets.setIndexBytes, setIndexBytes, true);
  view.setUint32(headerOffsets.categoryTableOffset, categoryTableOffset, true);
  view.setUint32(headerOffsets.setTableOffset, setTableOffset, true);
  view.setUint32(headerOffsets.fingerprintOffset, fingerprintOffset, true);
  view.setUint32(headerOffsets.setIndexOffset, setIndexOffset, true);
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

  let fingerprintCursor = fingerprintOffset;
  let indexCursor = setIndexOffset;
  for (let u = 0; u < unique; u++) {
    if (!keep[u]) continue;
    view.setUint32(fingerprintCursor, uniqueH1[u]!, true);
    view.setUint32(fingerprintCursor + 4, uniqueH2[u]!, true);
    fingerprintCursor += 8;
    const finalSet = finalSetOf[uniqueSet[u]!]!;
    if (setIndexBytes === 2) view.setUint16(indexCursor, finalSet, true);
    else view.setUint32(indexCursor, finalSet, true);
    indexCursor += setIndexBytes;
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
    },
  };
}

/**
 * Compile sources for one parsed list: its names in `category`; for a block list, its own `@@`
 * exceptions go to `<category>-allow` (an allow category that only exempts names from this list,
 * see policy.ts); for an allow list, every name is an allow entry of `category`.
 */
export function sourcesOfList(
  category: string,
  kind: CategoryKind,
  parsed: { readonly block: readonly string[]; readonly allow: readonly string[] },
): CompileSource[] {
  if (kind === 'allow') return [{ category, kind, names: [...parsed.block, ...parsed.allow] }];
  const sources: CompileSource[] = [{ category, kind, names: parsed.block }];
  if (parsed.allow.length > 0) sources.push({ category: exceptionCategoryOf(category), kind: 'allow', names: parsed.allow });
  return sources;
}
