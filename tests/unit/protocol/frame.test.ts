// Binary thumbnail frames: a fixed header and JPEG bytes; anything else is rejected with a code.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeThumbnailFrame, encodeThumbnailFrame, frameHeaderBytes, wholeDesktopScreen } from '../../../src/shared/protocol/frame.js';
import { ProtocolError } from '../../../src/shared/protocol/errors.js';
import { maxFrameBytes } from '../../../src/shared/protocol/limits.js';

const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('thumbnail frame codec', () => {
  it('round-trips the header and the JPEG bytes without copying them on decode', () => {
    const header = { requestId: 0xfffffffe, width: 320, height: 180, screen: wholeDesktopScreen, capturedAt: 1_790_000_000_123.5 };
    const frame = encodeThumbnailFrame(header, jpeg);
    expect(frame.byteLength).toBe(frameHeaderBytes + jpeg.byteLength);
    const decoded = decodeThumbnailFrame(frame);
    expect({ ...decoded, jpeg: undefined }).toEqual({ ...header, jpeg: undefined });
    expect(Array.from(decoded.jpeg)).toEqual(Array.from(jpeg));
    expect(decoded.jpeg.buffer).toBe(frame.buffer);
  });

  it('decodes a frame that sits at an offset inside a larger buffer (as ws delivers them)', () => {
    const frame = encodeThumbnailFrame({ requestId: 9, width: 10, height: 10, screen: 1, capturedAt: 5 }, jpeg);
    const big = new Uint8Array(frame.byteLength + 16);
    big.set(frame, 16);
    expect(decodeThumbnailFrame(big.subarray(16)).requestId).toBe(9);
  });

  it('rejects malformed frames with a reason', () => {
    const good = encodeThumbnailFrame({ requestId: 1, width: 10, height: 10, screen: 0, capturedAt: 1 }, jpeg);
    expect(codeOf(() => decodeThumbnailFrame(good.subarray(0, 10)))).toBe('frame-malformed');
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(codeOf(() => decodeThumbnailFrame(badMagic))).toBe('frame-malformed');
    const badVersion = good.slice();
    badVersion[2] = 9;
    expect(codeOf(() => decodeThumbnailFrame(badVersion))).toBe('frame-malformed');
    const notJpeg = good.slice();
    notJpeg[frameHeaderBytes] = 0x89;
    expect(codeOf(() => decodeThumbnailFrame(notJpeg))).toBe('frame-malformed');
    const zeroSize = good.slice();
    zeroSize[8] = 0;
    zeroSize[9] = 0;
    expect(codeOf(() => decodeThumbnailFrame(zeroSize))).toBe('frame-malformed');
  });

  it('refuses frames over the size limit on both ends', () => {
    const huge = new Uint8Array(maxFrameBytes);
    huge[0] = 0xff;
    huge[1] = 0xd8;
    expect(codeOf(() => encodeThumbnailFrame({ requestId: 1, width: 1, height: 1, screen: 0, capturedAt: 1 }, huge))).toBe('frame-too-large');
    expect(codeOf(() => decodeThumbnailFrame(new Uint8Array(maxFrameBytes + 1)))).toBe('frame-too-large');
  });

  it('never throws anything but ProtocolError on arbitrary bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeThumbnailFrame(bytes);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 5000 },
    );
  });
});
