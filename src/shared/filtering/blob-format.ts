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
//   24     4     entryCount: fingerprints
//   28     2     setWords: u32 words per bitset = ceil(categoryCount / 32)
//   30     2     setIndexBytes: 2 or 4 (width of each entry's bitset index)
//   32     4     categoryTableOffset
//   36     4     setTableOffset
//   40     4     fingerprintOffset
//   44     4     setIndexOffset
//   48     4     builtAtSeconds (Unix time given by the compiler's caller; 0 = unknown)
//   52     12    reserved, zero
//   64     ...   category table: categoryCount records of {u32 entryCount, u8 kind (0 block, 1 allow),
//                u8 nameBytes, u16 zero}, then the names' UTF-8 bytes back to back, padded to 4
//   ...          set table: setCount * setWords u32 words
//   ...          fingerprints: entryCount pairs of u32 (h1, h2), sorted by h1 then h2, no duplicates
//   ...          set indices: entryCount u16 or u32, parallel to the fingerprints

export const blobMagic = [0x53, 0x4c, 0x46, 0x4d] as const; // "SLFM"
export const blobFormatVersion = 1;
export const blobHeaderBytes = 64;
export const categoryRecordBytes = 8;

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
  setIndexBytes: 30,
  categoryTableOffset: 32,
  setTableOffset: 36,
  fingerprintOffset: 40,
  setIndexOffset: 44,
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
