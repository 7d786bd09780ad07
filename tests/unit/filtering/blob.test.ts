// A damaged blob is refused with FilterListError; there is never a matcher built from wrong bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobFormatVersion, blobHeaderBytes, entryBytes, entryWords, headerOffsets } from '../../../src/shared/filtering/blob-format.js';
import { compileLists } from '../../../src/shared/filtering/compile.js';
import { crc32 } from '../../../src/shared/filtering/crc32.js';
import { FilterListError, type FilterListErrorCode } from '../../../src/shared/filtering/errors.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { translate } from '../../../src/shared/i18n/index.js';
import { syntheticNames } from './generators.js';

const names = syntheticNames(400, 3);
const { blob } = compileLists([
  { category: 'gambling', names: names.slice(0, 200) },
  { category: 'games', names: names.slice(150, 300) },
  { category: 'lesson-platforms', kind: 'allow', names: names.slice(300) },
]);

function loadError(bytes: Uint8Array): FilterListError | null {
  try {
    DomainMatcher.load(bytes);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(FilterListError);
    return error as FilterListError;
  }
}

/** Rewrites the checksum so only the structural checks stand between the bytes and a matcher. */
function withValidChecksum(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(headerOffsets.checksum, crc32(bytes.subarray(12)), true);
  return bytes;
}

describe('blob integrity', () => {
  it('matches zlib’s CRC-32 (the check value of "123456789" is cbf43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('refuses the blob when any single byte is changed', () => {
    fc.assert(
      fc.property(fc.nat(blob.length - 1), fc.integer({ min: 1, max: 255 }), (offset, flip) => {
        const damaged = blob.slice();
        damaged[offset]! ^= flip;
        expect(loadError(damaged)).not.toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every truncation as truncated', () => {
    for (let length = 0; length < blob.length; length += length < 128 ? 1 : 37) {
      expect(loadError(blob.subarray(0, length))?.code).toBe('truncated');
    }
  });

  it('names the cause: format, version, checksum, trailing bytes', () => {
    const cases: Array<[(bytes: Uint8Array) => void, FilterListErrorCode]> = [
      [(bytes) => (bytes[0] = 0x50), 'format'],
      [(bytes) => (bytes[headerOffsets.version] = blobFormatVersion + 1), 'version'],
      [(bytes) => (bytes[headerOffsets.version] = 1), 'version'],
      [(bytes) => (bytes[blob.length - 1]! ^= 1), 'checksum'],
      [(bytes) => (bytes[headerOffsets.checksum]! ^= 0x80), 'checksum'],
    ];
    for (const [damage, code] of cases) {
      const damaged = blob.slice();
      damage(damaged);
      expect(loadError(damaged)?.code).toBe(code);
    }
    const longer = new Uint8Array(blob.length + 4);
    longer.set(blob);
    expect(loadError(longer)?.code).toBe('format');
  });

  it('refuses a blob of the previous format (v1: other folding, other layout) or a future one, naming both versions', () => {
    for (const version of [1, blobFormatVersion + 1, 0xffff]) {
      const other = blob.slice();
      new DataView(other.buffer).setUint16(headerOffsets.version, version, true);
      const error = loadError(withValidChecksum(other))!;
      expect(error.code).toBe('version');
      expect(error.message).toBe(`format version ${version}, this build reads ${blobFormatVersion}`);
      expect(error.messageKey).toBe('filtering.blobVersion');
    }
    expect(blobFormatVersion).toBe(2);
  });

  it('refuses structurally wrong blobs even when their checksum is right', () => {
    const entryCount = new DataView(blob.buffer).getUint32(headerOffsets.entryCount, true);
    const entryTableOffset = new DataView(blob.buffer).getUint32(headerOffsets.entryTableOffset, true);
    const edits: Array<(view: DataView) => void> = [
      (view) => view.setUint32(headerOffsets.entryCount, entryCount + 1, true),
      (view) => view.setUint16(headerOffsets.setWords, 2, true),
      (view) => view.setUint16(headerOffsets.entryBytes, 8, true),
      (view) => view.setUint8(headerOffsets.reservedTail + 3, 1),
      (view) => view.setUint8(headerOffsets.reservedMiddle, 1),
      // Swap the first two entries: unsorted table.
      (view) => {
        for (let word = 0; word < entryWords; word++) {
          const a = view.getUint32(entryTableOffset + 4 * word, true);
          view.setUint32(entryTableOffset + 4 * word, view.getUint32(entryTableOffset + entryBytes + 4 * word, true), true);
          view.setUint32(entryTableOffset + entryBytes + 4 * word, a, true);
        }
      },
      // Two equal fingerprints.
      (view) => {
        view.setUint32(entryTableOffset + entryBytes, view.getUint32(entryTableOffset, true), true);
        view.setUint32(entryTableOffset + entryBytes + 4, view.getUint32(entryTableOffset + 4, true), true);
      },
      // An entry pointing past the set table.
      (view) => view.setUint32(entryTableOffset + 8, 0xffff, true),
      // A category record with an impossible kind.
      (view) => view.setUint8(blobHeaderBytes + 4, 7),
    ];
    for (const edit of edits) {
      const damaged = blob.slice();
      edit(new DataView(damaged.buffer));
      expect(loadError(withValidChecksum(damaged))?.code).toBe('format');
    }
  });

  it('loads a blob that sits at an odd offset inside a larger buffer', () => {
    const holder = new Uint8Array(blob.length + 3);
    holder.set(blob, 3);
    const matcher = DomainMatcher.load(holder.subarray(3));
    expect(matcher.match(`www.${names[0]!}`).listed).toBe(true);
  });

  it('gives a bilingual explanation key for each error', () => {
    const error = loadError(blob.subarray(0, 10))!;
    expect(error.messageKey).toBe('filtering.blobTruncated');
    expect(translate('vi', error.messageKey)).not.toBe(error.messageKey);
    expect(translate('en', error.messageKey)).not.toBe(error.messageKey);
  });
});
