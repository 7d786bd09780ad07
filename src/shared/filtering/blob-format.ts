// Layout of the compiled filter-list blob, written by compile.ts and read by matcher.ts.
//
// All integers little-endian; every table starts on a 4-byte boundary so the matcher can view it
// as a typed array without copying.
//
//   offset size  field
//   0      4     magic "SLFM" (SafeLab Filter Matcher)
//   4      2     format version (blobFormatVersion)
//   6      2     reserved, zero
//   8      4     CRC-32 of bytes [12, totalLength)
//   12     4     totalLength (whole blob, bytes)
//   16     4     categoryCount
//   20     4     setCount: distinct category bitsets
//   24     4     entryCount: listed names
//   28     2     setWords: u32 words per bitset = ceil(categoryCount / 32)
//   30     2     entryBytes: 12 (bytes per entry record)
//   32     4     categoryTableOffset
//   36     4     setTableOffset
//   40     4     entryTableOffset
//   44     4     reserved, zero
//   48     4     builtAtSeconds (Unix time given by the compiler's caller; 0 = unknown)
//   52     12    reserved, zero
//   64     ...   category table: categoryCount records of {u32 entryCount, u8 kind (0 block, 1 allow),
//                u8 nameBytes, u16 zero}, then the names' UTF-8 bytes back to back, padded to 4
//   ...          set table: setCount * setWords u32 words
//   ...          entries: entryCount records of u32 {h1, h2, set}: the name's 64-bit fingerprint
//                (fingerprint.ts) and its category set, sorted by h1 then h2, no duplicates. The
//                set sits next to the fingerprint so that a hit costs one cache line, not two.
//
// Format versions (a matcher reads exactly one; anything else is refused as FilterListError 'version'):
//   1  fingerprints and u16/u32 set indices in two parallel tables; a name was folded away when
//      its listed parents together carried all its categories.
//   2  one 12-byte record per entry; a name is folded away only when its nearest listed parent has
//      exactly its category set, because lookups now compare how deep each match is (the most
//      specific listed name decides, policy.ts).

export const blobMagic = [0x53, 0x4c, 0x46, 0x4d] as const; // "SLFM"
export const blobFormatVersion = 2;
export const blobHeaderBytes = 64;
export const categoryRecordBytes = 8;
/** u32 words per entry record: h1, h2, set. */
export const entryWords = 3;
export const entryBytes = entryWords * 4;

export const headerOffsets = {
  magic: 0,
  version: 4,
  reserved: 6,
  checksum: 8,
  totalLength: 12,
  categoryCount: 16,
  setCount: 20,
  entryCount: 24,
  setWords: 28,
  entryBytes: 30,
  categoryTableOffset: 32,
  setTableOffset: 36,
  entryTableOffset: 40,
  reservedMiddle: 44,
  builtAtSeconds: 48,
  reservedTail: 52,
} as const;

/** Bytes covered by the checksum start here (after magic, version, reserved and the checksum itself). */
export const checksumStart = 12;

/** Most categories one blob may carry (u8 name length, bitsets of at most 64 words). */
export const maxCategories = 2048;
/** Longest category name in bytes. */
export const maxCategoryNameBytes = 64;

export type CategoryKind = 'block' | 'allow';

/** Category names: lower case, digits, '-', '_', '.'; how UT1 and our own lists name them. */
export const categoryNamePattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function alignTo4(n: number): number {
  return (n + 3) & ~3;
}
