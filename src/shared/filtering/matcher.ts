// The agent's side of filtering: loads a compiled blob with one read and answers "is this name listed, in
// which categories" without allocating.
//
// The blob is checked completely before a matcher exists (magic, version, checksum, every offset,
// sort order, set indices), so a corrupted transfer throws FilterListError and the agent keeps the
// matcher it had. Tables are typed-array views into the blob (no copy); the only memory of its own
// is a bucket index over the top bits of h1 (256 KB for 1 M names) that turns each probe into a
// short linear scan within one or two cache lines.

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
import { crc32 } from './crc32.js';
import { FilterListError } from './errors.js';
import { avalanche, fnvOffsetBasis, fnvPrime, lengthMultiplier, mixMultiplier, mixSeed } from './fingerprint.js';
import { maxNameLength } from './names.js';

/**
 * Result of `match`: one object per matcher, overwritten by the next call (no per-lookup allocation).
 * `categories` is a bitset (bit i of word i >>> 5 = category i) of every category of every listed
 * parent of the name, the name itself included.
 */
export interface MatchView {
  listed: boolean;
  readonly categories: Uint32Array;
}

/** True when bit `index` is set in a category bitset. */
export function hasCategory(categories: Uint32Array, index: number): boolean {
  return index >= 0 && ((categories[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
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
  readonly builtAtSeconds: number;
  /** CRC-32 of the blob body: identifies this list version in acks and status. */
  readonly checksum: number;
  readonly byteLength: number;

  private readonly fingerprints: Uint32Array;
  private readonly setIndex: Uint16Array | Uint32Array;
  private readonly setTable: Uint32Array;
  private readonly buckets: Uint32Array;
  private readonly bucketShift: number;
  private readonly view: MatchView;
  private readonly indexByName: ReadonlyMap<string, number>;

  private constructor(fields: {
    categoryNames: string[];
    categoryKinds: CategoryKind[];
    categoryEntryCounts: number[];
    entryCount: number;
    setWords: number;
    builtAtSeconds: number;
    checksum: number;
    byteLength: number;
    fingerprints: Uint32Array;
    setIndex: Uint16Array | Uint32Array;
    setTable: Uint32Array;
  }) {
    this.categoryNames = fields.categoryNames;
    this.categoryKinds = fields.categoryKinds;
    this.categoryEntryCounts = fields.categoryEntryCounts;
    this.entryCount = fields.entryCount;
    this.setWords = fields.setWords;
    this.builtAtSeconds = fields.builtAtSeconds;
    this.checksum = fields.checksum;
    this.byteLength = fields.byteLength;
    this.fingerprints = fields.fingerprints;
    this.setIndex = fields.setIndex;
    this.setTable = fields.setTable;
    this.indexByName = new Map(fields.categoryNames.map((name, index) => [name, index]));
    this.view = { listed: false, categories: new Uint32Array(fields.setWords) };

    // Bucket index: 8-16 entries per bucket on average (n/4..n/2 bytes of index), at most 2^21 buckets.
    const entries = fields.entryCount;
    const bits = Math.min(21, Math.max(1, Math.floor(Math.log2(Math.max(entries, 1))) - 3));
    const bucketCount = 1 << bits;
    this.bucketShift = 32 - bits;
    const buckets = new Uint32Array(bucketCount + 1);
    const fp = fields.fingerprints;
    let bucket = 0;
    for (let i = 0; i < entries; i++) {
      const b = fp[2 * i]! >>> this.bucketShift;
      while (bucket <= b) buckets[bucket++] = i;
    }
    while (bucket <= bucketCount) buckets[bucket++] = entries;
    this.buckets = buckets;
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
    const setIndexBytes = view.getUint16(headerOffsets.setIndexBytes, true);
    const categoryTableOffset = u32(headerOffsets.categoryTableOffset);
    const setTableOffset = u32(headerOffsets.setTableOffset);
    const fingerprintOffset = u32(headerOffsets.fingerprintOffset);
    const setIndexOffset = u32(headerOffsets.setIndexOffset);
    const builtAtSeconds = u32(headerOffsets.builtAtSeconds);
    for (let offset = headerOffsets.reservedTail; offset < blobHeaderBytes; offset++) {
      if (view.getUint8(offset) !== 0) fail('format', 'reserved header bytes are not zero');
    }
    if (categoryCount > maxCategories) fail('format', `too many categories (${categoryCount})`);
    if (setWords !== Math.max(1, Math.ceil(categoryCount / 32))) fail('format', 'bitset width does not match the category count');
    if (setIndexBytes !== 2 && setIndexBytes !== 4) fail('format', `bad set index width ${setIndexBytes}`);
    if (setIndexBytes === 2 && setCount > 0x10000) fail('format', 'too many sets for 16-bit indices');
    if (categoryTableOffset !== blobHeaderBytes) fail('format', 'category table is not after the header');
    if (setTableOffset % 4 !== 0 || setTableOffset < categoryTableOffset + categoryCount * categoryRecordBytes) {
      fail('format', 'bad set table offset');
    }
    if (fingerprintOffset !== setTableOffset + setCount * setWords * 4) fail('format', 'bad fingerprint offset');
    if (setIndexOffset !== fingerprintOffset + entryCount * 8) fail('format', 'bad set index offset');
    if (alignTo4(setIndexOffset + entryCount * setIndexBytes) !== totalLength) fail('format', 'tables do not end where the blob ends');

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

    const fingerprints = new Uint32Array(blob.buffer, blob.byteOffset + fingerprintOffset, entryCount * 2);
    for (let i = 1; i < entryCount; i++) {
      const a = fingerprints[2 * i - 2]!;
      const b = fingerprints[2 * i]!;
      if (a > b || (a === b && fingerprints[2 * i - 1]! >= fingerprints[2 * i + 1]!)) fail('format', 'fingerprints are not sorted');
    }
    const setIndex =
      setIndexBytes === 2
        ? new Uint16Array(blob.buffer, blob.byteOffset + setIndexOffset, entryCount)
        : new Uint32Array(blob.buffer, blob.byteOffset + setIndexOffset, entryCount);
    for (let i = 0; i < entryCount; i++) if (setIndex[i]! >= setCount) fail('format', 'an entry points at a missing category set');

    return new DomainMatcher({
      categoryNames,
      categoryKinds,
      categoryEntryCounts,
      entryCount,
      setWords,
      builtAtSeconds,
      checksum,
      byteLength: blob.length,
      fingerprints,
      setIndex,
      setTable,
    });
  }

  /** Index of a category by name, or -1 (the list it comes from was not compiled in). */
  categoryIndex(name: string): number {
    return this.indexByName.get(name) ?? -1;
  }

  /**
   * Looks `name` up as given on the DNS wire: any ASCII case, with or without the trailing dot, IDN
   * already as xn--. Walks the name's parents right to left (com, example.com, www.example.com),
   * probing each. Returns the shared view, valid until the next call on this matcher.
   */
  match(name: string): MatchView {
    const view = this.view;
    const categories = view.categories;
    const words = this.setWords;
    for (let w = 0; w < words; w++) categories[w] = 0;
    view.listed = false;

    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 0x2e) end--;
    if (end === 0 || end > maxNameLength || this.entryCount === 0) return view;

    const fp = this.fingerprints;
    const buckets = this.buckets;
    const shift = this.bucketShift;
    const setIndex = this.setIndex;
    const table = this.setTable;
    let a = fnvOffsetBasis;
    let b = mixSeed;
    // The top label alone is never probed: single-label names cannot be compiled in (names.ts).
    let seenDot = false;
    for (let i = end - 1; i >= -1; i--) {
      let c = i >= 0 ? name.charCodeAt(i) : 0x2e;
      if (c === 0x2e) {
        if (seenDot) {
          // name[i+1, end) is a complete parent (or the name itself when i = -1): probe it.
          const length = end - i - 1;
          const h1 = avalanche(a ^ length);
          // Buckets hold 8-16 entries: a linear scan over h1 beats a binary search's
          // unpredictable branches and stays within one or two cache lines.
          const bucket = h1 >>> shift;
          let k = buckets[bucket]!;
          const bucketEnd = buckets[bucket + 1]!;
          while (k < bucketEnd && fp[2 * k]! < h1) k++;
          if (k < bucketEnd && fp[2 * k] === h1) {
            const h2 = avalanche(b ^ Math.imul(length, lengthMultiplier));
            for (; k < bucketEnd && fp[2 * k] === h1; k++) {
              if (fp[2 * k + 1] !== h2) continue;
              view.listed = true;
              const base = setIndex[k]! * words;
              for (let w = 0; w < words; w++) categories[w] = categories[w]! | table[base + w]!;
              break;
            }
          }
        }
        if (i < 0) break;
        seenDot = true;
      } else if (c >= 0x41 && c <= 0x5a) {
        c += 0x20;
      }
      a = Math.imul(a ^ c, fnvPrime);
      b = Math.imul(b ^ c, mixMultiplier);
      b ^= b >>> 15;
    }
    return view;
  }
}
