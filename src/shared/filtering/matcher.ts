// The agent's side of filtering: loads a compiled blob with one read and answers "which listed names
// cover this name, at what depth, in which categories" without allocating.
//
// The blob is checked completely before a matcher exists (magic, version, checksum, every offset,
// sort order, set indices), so a corrupted transfer throws FilterListError and the agent keeps the
// matcher it had. Tables are typed-array views into the blob (no copy). The only memory of its own
// is an occupancy index over the top bits of h1, built at load (about 0.6-1.2 bytes per name:
// ~0.7 MB for 1 M names), that does two jobs per probe:
// - most parents of a query are not listed: their slot bit is clear, so the probe ends in a table
//   that stays in the CPU cache, without touching the entry records (a cache miss each);
// - for the rest, a per-block count plus a popcount gives the entry's position in the sorted
//   table to within a few entries, so the probe reads one cache line: fingerprint and category set
//   sit in the same 12-byte record.
// Measured with bench/filtering (1 M names): about 1.5-2 times the lookups per second of the
// previous bucket index, which read a bucket table, the fingerprints and a separate set-index table
// per probe. (For a few hundred thousand names, where everything sits in the CPU cache, the two
// are within about 10 % of each other.)

import {
  alignTo4,
  blobFormatVersion,
  blobHeaderBytes,
  blobMagic,
  categoryNamePattern,
  categoryRecordBytes,
  checksumStart,
  entryBytes,
  entryWords,
  headerOffsets,
  maxCategories,
  type CategoryKind,
} from './blob-format.js';
import { crc32 } from './crc32.js';
import { FilterListError } from './errors.js';
import { avalanche, fnvOffsetBasis, fnvPrime, lengthMultiplier, mixMultiplier, mixSeed } from './fingerprint.js';
import { maxNameLength } from './names.js';

/** Most listed names one lookup can find: a 253-character name has at most 127 labels. */
export const maxMatchHits = 128;

/** Occupancy slots per fingerprint (rounded up to a power of two): 4-8, so 80-90 % of unlisted probes stop at the bitmap. */
const occupancySlotsPerEntry = 4;
/** Slots per occupancy block; each block has one u32 count of the entries before it. */
const occupancyBlockSlots = 128;
const occupancyBlockShift = 7;
const occupancyWordsPerBlock = occupancyBlockSlots / 32;

/**
 * Result of `match`: one object per matcher, overwritten by the next call (no per-lookup allocation).
 *
 * `hitCount` listed names cover the query (the name itself and/or its parents), shallowest first:
 * hit i is the query's last `hitLabels[i]` labels and carries the category set `hitSets[i]`
 * (`DomainMatcher.setCategories`). `categories` is the union of every hit's set (bit i of word
 * i >>> 5 = category i), worked out when read (the policy never needs it); `listed` is `hitCount > 0`. Depth matters to the policy: the most
 * specific listed name decides (policy.ts).
 */
export interface MatchView {
  listed: boolean;
  readonly categories: Uint32Array;
  hitCount: number;
  readonly hitLabels: Uint8Array;
  readonly hitSets: Uint32Array;
}

/** True when bit `index` is set in a category bitset. */
export function hasCategory(categories: Uint32Array, index: number): boolean {
  return index >= 0 && ((categories[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
}

/** Number of set bits of a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The view `match` fills: hits are written per lookup; the category union is worked out only when read. */
class MatchResult implements MatchView {
  listed = false;
  hitCount = 0;
  readonly hitLabels = new Uint8Array(maxMatchHits);
  readonly hitSets = new Uint32Array(maxMatchHits);
  private readonly union: Uint32Array;
  private readonly setTable: Uint32Array;

  constructor(setTable: Uint32Array, setWords: number) {
    this.setTable = setTable;
    this.union = new Uint32Array(setWords);
  }

  get categories(): Uint32Array {
    const union = this.union;
    const words = union.length;
    union.fill(0);
    for (let h = 0; h < this.hitCount; h++) {
      const base = this.hitSets[h]! * words;
      for (let w = 0; w < words; w++) union[w] = union[w]! | this.setTable[base + w]!;
    }
    return union;
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(code: 'format' | 'version' | 'checksum' | 'truncated', detail: string): never {
  throw new FilterListError(code, detail);
}

export class DomainMatcher {
  readonly categoryNames: readonly string[];
  readonly categoryKinds: readonly CategoryKind[];
  /** Distinct names per category as compiled (before folding); for status screens. */
  readonly categoryEntryCounts: readonly number[];
  /** Fingerprints in the table. */
  readonly entryCount: number;
  /** u32 words of every category bitset (MatchView.categories.length). */
  readonly setWords: number;
  /** Distinct category sets; MatchView.hitSets holds indices below this. */
  readonly setCount: number;
  readonly builtAtSeconds: number;
  /** CRC-32 of the blob body: identifies this list version in acks and status. */
  readonly checksum: number;
  readonly byteLength: number;

  /** Entry records: entryWords u32 each (h1, h2, set), sorted by h1 then h2. */
  private readonly entries: Uint32Array;
  private readonly setTable: Uint32Array;
  private readonly occupancy: Uint32Array;
  private readonly blockStarts: Uint32Array;
  private readonly slotShift: number;
  private readonly view: MatchResult;
  private readonly indexByName: ReadonlyMap<string, number>;

  private constructor(fields: {
    categoryNames: string[];
    categoryKinds: CategoryKind[];
    categoryEntryCounts: number[];
    entryCount: number;
    setWords: number;
    setCount: number;
    builtAtSeconds: number;
    checksum: number;
    byteLength: number;
    entries: Uint32Array;
    setTable: Uint32Array;
  }) {
    this.categoryNames = fields.categoryNames;
    this.categoryKinds = fields.categoryKinds;
    this.categoryEntryCounts = fields.categoryEntryCounts;
    this.entryCount = fields.entryCount;
    this.setWords = fields.setWords;
    this.setCount = fields.setCount;
    this.builtAtSeconds = fields.builtAtSeconds;
    this.checksum = fields.checksum;
    this.byteLength = fields.byteLength;
    this.entries = fields.entries;
    this.setTable = fields.setTable;
    this.indexByName = new Map(fields.categoryNames.map((name, index) => [name, index]));
    this.view = new MatchResult(fields.setTable, fields.setWords);

    // Occupancy index: one bit per slot (top `slotBits` bits of h1), at least one whole block.
    const entries = fields.entryCount;
    let slotBits = occupancyBlockShift;
    while (slotBits < 30 && 2 ** slotBits < entries * occupancySlotsPerEntry) slotBits++;
    this.slotShift = 32 - slotBits;
    const occupancy = new Uint32Array(2 ** (slotBits - 5));
    const blockStarts = new Uint32Array(2 ** (slotBits - occupancyBlockShift) + 1);
    const records = fields.entries;
    let block = 0;
    for (let i = 0; i < entries; i++) {
      const slot = records[entryWords * i]! >>> this.slotShift;
      occupancy[slot >>> 5] = occupancy[slot >>> 5]! | (1 << (slot & 31));
      const b = slot >>> occupancyBlockShift;
      while (block <= b) blockStarts[block++] = i;
    }
    while (block < blockStarts.length) blockStarts[block++] = entries;
    this.occupancy = occupancy;
    this.blockStarts = blockStarts;
  }

  /**
   * Verifies and opens a compiled blob. Throws FilterListError: `truncated` (shorter than it says),
   * `format` (not a SafeLab blob, or inconsistent inside), `version` (written by another format
   * version), `checksum` (bytes changed in transit or on disk).
   */
  static load(input: Uint8Array): DomainMatcher {
    if (input.length < blobHeaderBytes) fail('truncated', `blob has ${input.length} bytes, the header alone needs ${blobHeaderBytes}`);
    for (let i = 0; i < blobMagic.length; i++) if (input[i] !== blobMagic[i]) fail('format', 'not a SafeLab filter list (bad magic)');
    const header = new DataView(input.buffer, input.byteOffset, blobHeaderBytes);
    const version = header.getUint16(headerOffsets.version, true);
    if (version !== blobFormatVersion) fail('version', `format version ${version}, this build reads ${blobFormatVersion}`);
    if (header.getUint16(headerOffsets.reserved, true) !== 0) fail('format', 'reserved header bytes are not zero');
    const totalLength = header.getUint32(headerOffsets.totalLength, true);
    if (input.length < totalLength) fail('truncated', `blob has ${input.length} of ${totalLength} bytes`);
    if (input.length > totalLength) fail('format', `blob has ${input.length - totalLength} bytes after its end`);
    const checksum = header.getUint32(headerOffsets.checksum, true);
    if (crc32(input.subarray(checksumStart)) !== checksum) fail('checksum', 'checksum mismatch: the list was damaged');
    if (!littleEndian) fail('format', 'big-endian platforms are not supported');

    // Typed-array views need 4-byte alignment; a blob sliced at an odd offset is copied once.
    const blob = input.byteOffset % 4 === 0 ? input : input.slice();
    const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
    const u32 = (offset: number): number => view.getUint32(offset, true);

    const categoryCount = u32(headerOffsets.categoryCount);
    const setCount = u32(headerOffsets.setCount);
    const entryCount = u32(headerOffsets.entryCount);
    const setWords = view.getUint16(headerOffsets.setWords, true);
    const recordBytes = view.getUint16(headerOffsets.entryBytes, true);
    const categoryTableOffset = u32(headerOffsets.categoryTableOffset);
    const setTableOffset = u32(headerOffsets.setTableOffset);
    const entryTableOffset = u32(headerOffsets.entryTableOffset);
    const builtAtSeconds = u32(headerOffsets.builtAtSeconds);
    for (let offset = headerOffsets.reservedTail; offset < blobHeaderBytes; offset++) {
      if (view.getUint8(offset) !== 0) fail('format', 'reserved header bytes are not zero');
    }
    if (categoryCount > maxCategories) fail('format', `too many categories (${categoryCount})`);
    if (setWords !== Math.max(1, Math.ceil(categoryCount / 32))) fail('format', 'bitset width does not match the category count');
    if (recordBytes !== entryBytes) fail('format', `bad entry size ${recordBytes}`);
    if (u32(headerOffsets.reservedMiddle) !== 0) fail('format', 'reserved header bytes are not zero');
    if (categoryTableOffset !== blobHeaderBytes) fail('format', 'category table is not after the header');
    if (setTableOffset % 4 !== 0 || setTableOffset < categoryTableOffset + categoryCount * categoryRecordBytes) {
      fail('format', 'bad set table offset');
    }
    if (entryTableOffset !== setTableOffset + setCount * setWords * 4) fail('format', 'bad entry table offset');
    if (entryTableOffset + entryCount * entryBytes !== totalLength) fail('format', 'tables do not end where the blob ends');

    // Category table.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const categoryNames: string[] = [];
    const categoryKinds: CategoryKind[] = [];
    const categoryEntryCounts: number[] = [];
    let nameCursor = categoryTableOffset + categoryCount * categoryRecordBytes;
    for (let c = 0; c < categoryCount; c++) {
      const record = categoryTableOffset + c * categoryRecordBytes;
      const kind = view.getUint8(record + 4);
      const nameBytes = view.getUint8(record + 5);
      if (kind > 1 || view.getUint16(record + 6, true) !== 0) fail('format', 'bad category record');
      if (nameCursor + nameBytes > setTableOffset) fail('format', 'category names overrun the table');
      let name: string;
      try {
        name = decoder.decode(blob.subarray(nameCursor, nameCursor + nameBytes));
      } catch {
        fail('format', 'category name is not UTF-8');
      }
      if (!categoryNamePattern.test(name) || categoryNames.includes(name)) fail('format', `bad or repeated category name ${JSON.stringify(name)}`);
      nameCursor += nameBytes;
      categoryNames.push(name);
      categoryKinds.push(kind === 1 ? 'allow' : 'block');
      categoryEntryCounts.push(view.getUint32(record, true));
    }
    if (alignTo4(nameCursor) !== setTableOffset) fail('format', 'category table has stray bytes');

    const setTable = new Uint32Array(blob.buffer, blob.byteOffset + setTableOffset, setCount * setWords);
    // Bits past the last category would name categories that do not exist.
    const spareBits = setWords * 32 - categoryCount;
    if (spareBits > 0) {
      const spareMask = (~0 << (32 - spareBits)) >>> 0;
      for (let s = 0; s < setCount; s++) {
        if ((setTable[s * setWords + setWords - 1]! & spareMask) !== 0) fail('format', 'a category set names an unknown category');
      }
    }

    const entries = new Uint32Array(blob.buffer, blob.byteOffset + entryTableOffset, entryCount * entryWords);
    for (let i = 0; i < entryCount; i++) {
      const at = entryWords * i;
      if (entries[at + 2]! >= setCount) fail('format', 'an entry points at a missing category set');
      if (i === 0) continue;
      const a = entries[at - entryWords]!;
      const b = entries[at]!;
      if (a > b || (a === b && entries[at - entryWords + 1]! >= entries[at + 1]!)) fail('format', 'entries are not sorted');
    }

    return new DomainMatcher({
      categoryNames,
      categoryKinds,
      categoryEntryCounts,
      entryCount,
      setWords,
      setCount,
      builtAtSeconds,
      checksum,
      byteLength: blob.length,
      entries,
      setTable,
    });
  }

  /** Index of a category by name, or -1 (the list it comes from was not compiled in). */
  categoryIndex(name: string): number {
    return this.indexByName.get(name) ?? -1;
  }

  /** Word `word` of the category bitset of set `set` (no allocation; for per-lookup use). */
  setWord(set: number, word: number): number {
    return this.setTable[set * this.setWords + word]!;
  }

  /** The category bitset of set `set` (a view into the blob; setWords words). */
  setCategories(set: number): Uint32Array {
    if (!(set >= 0 && set < this.setCount)) throw new RangeError(`no category set ${set}`);
    return this.setTable.subarray(set * this.setWords, (set + 1) * this.setWords);
  }

  /**
   * Looks `name` up as given on the DNS wire: any ASCII case, with or without the trailing dot, IDN
   * already as xn--. Hashes the name once, right to left, and probes each parent of two or more
   * labels as its dot goes by (example.com, www.example.com). Returns the shared view, valid until
   * the next lookup on this matcher.
   *
   * `also` (a profile's small matcher of extra names) is looked up in the same pass, with the same
   * hashes; its view is then `also.lastMatch`.
   */
  match(name: string, also: DomainMatcher | null = null): MatchView {
    const view = this.view;
    view.listed = false;
    view.hitCount = 0;
    if (also !== null) {
      also.view.listed = false;
      also.view.hitCount = 0;
    }

    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 0x2e) end--;
    if (end === 0 || end > maxNameLength) return view;

    // Both hash lanes in one pass: the CPU runs the two multiply chains side by side, which costs
    // less than a second pass over the name for each listed parent (measured: bench/filtering).
    let a = fnvOffsetBasis;
    let b = mixSeed;
    let labels = 1;
    for (let i = end - 1; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c === 0x2e) {
        // name[i+1, end) is a complete parent. The top label alone is never probed: single-label
        // names cannot be compiled in (names.ts).
        if (labels > 1) this.probeBoth(end - i - 1, a, b, labels, also);
        labels++;
      } else if (c >= 0x41 && c <= 0x5a) {
        c += 0x20; // ASCII upper case; DNS names arrive in any case (0x20 randomisation)
      }
      a = Math.imul(a ^ c, fnvPrime);
      b = Math.imul(b ^ c, mixMultiplier);
      b ^= b >>> 15;
    }
    if (labels > 1) this.probeBoth(end, a, b, labels, also);
    view.listed = view.hitCount > 0;
    if (also !== null) also.view.listed = also.view.hitCount > 0;
    return view;
  }

  /** The view of this matcher's last lookup (also when it was looked up as another matcher's `also`). */
  get lastMatch(): MatchView {
    return this.view;
  }

  /**
   * Probes the parent of `length` characters whose hash lanes are `a` and `b` (fingerprint.ts) in
   * this matcher and in `also`; h2 is finished only when an h1 is found.
   */
  private probeBoth(length: number, a: number, b: number, labels: number, also: DomainMatcher | null): void {
    const h1 = avalanche(a ^ length);
    const k = this.firstWithH1(h1);
    const kAlso = also === null ? -1 : also.firstWithH1(h1);
    if (k < 0 && kAlso < 0) return;
    const h2 = avalanche(b ^ Math.imul(length, lengthMultiplier));
    if (k >= 0) this.record(k, h1, h2, labels);
    if (kAlso >= 0) also!.record(kAlso, h1, h2, labels);
  }

  /** Index of the first entry whose h1 is `h1`, or -1 (most unlisted names stop at the occupancy bit). */
  private firstWithH1(h1: number): number {
    if (this.entryCount === 0) return -1;
    const slot = h1 >>> this.slotShift;
    const occupancy = this.occupancy;
    const wordIndex = slot >>> 5;
    const word = occupancy[wordIndex]!;
    if ((word & (1 << (slot & 31))) === 0) return -1;
    // Entries before this slot: those of earlier blocks, plus at least one per occupied slot earlier
    // in this block. Slots holding several entries make this an undercount, which the short forward
    // scan absorbs.
    let k = this.blockStarts[slot >>> occupancyBlockShift]!;
    for (let w = wordIndex & ~(occupancyWordsPerBlock - 1); w < wordIndex; w++) k += popcount(occupancy[w]!);
    k += popcount(word & ((1 << (slot & 31)) - 1));
    const records = this.entries;
    const last = this.entryCount;
    while (k < last && records[entryWords * k]! < h1) k++;
    return k < last && records[entryWords * k] === h1 ? k : -1;
  }

  /** Records the entry with fingerprint (h1, h2) at or after `k` as a hit `labels` deep, if there is one. */
  private record(k: number, h1: number, h2: number, labels: number): void {
    const view = this.view;
    // Only absurd names of empty labels could reach the bound: real hits are at most one per label.
    if (view.hitCount === maxMatchHits) return;
    const records = this.entries;
    const last = this.entryCount;
    for (; k < last && records[entryWords * k] === h1; k++) {
      if (records[entryWords * k + 1] !== h2) continue;
      view.hitLabels[view.hitCount] = labels;
      view.hitSets[view.hitCount] = records[entryWords * k + 2]!;
      view.hitCount++;
      return;
    }
  }
}
