// Box-averaging screen bands into a thumbnail as they are read: exact averages, both pixel byte
// orders X servers use, and the factor that never drops below the size asked for.
import { describe, expect, it } from 'vitest';
import { shrinkBand, shrinkFactor } from '../../../src/agent/platform/linux/shrink.js';

/** A 32-bit ZPixmap band from RGB pixels, in the server's byte order. */
function zpixmap(pixels: number[][], width: number, msbFirst: boolean): Uint8Array {
  const out = new Uint8Array(pixels.length * 4);
  pixels.forEach(([r, g, b], i) => out.set(msbFirst ? [0, r!, g!, b!] : [b!, g!, r!, 0], i * 4));
  expect(pixels.length % width).toBe(0);
  return out;
}

describe('shrinking a screen band', () => {
  it('averages each k×k block (rounding to nearest), for little- and big-endian servers', () => {
    // 4x2 pixels, k = 2: two output pixels.
    const pixels = [
      [0, 0, 0], [10, 20, 30], [255, 255, 255], [255, 255, 255],
      [1, 2, 3], [11, 21, 31], [255, 255, 255], [253, 0, 100],
    ];
    for (const msbFirst of [false, true]) {
      const out = Buffer.alloc(2 * 3);
      const rows = shrinkBand(zpixmap(pixels, 4, msbFirst), 4, 2, 2, msbFirst, { out, width: 2, sums: new Uint32Array(6) }, 0);
      expect(rows).toBe(1);
      // (0+10+1+11)/4 = 5.5 → 6; (0+20+2+21)/4 = 10.75 → 11; (0+30+3+31)/4 = 16
      expect([...out]).toEqual([6, 11, 16, Math.round((255 * 3 + 253) / 4), Math.round((255 * 3) / 4), Math.round((255 * 3 + 100) / 4)]);
    }
  });

  it('writes a later band below the rows already written, and drops the last k-1 columns', () => {
    const width = 5; // 5 px wide, k = 2: 2 output columns, the 5th input column is dropped
    const band = (value: number): Uint8Array => zpixmap(Array.from({ length: width * 2 }, (_, i) => (i % width === 4 ? [255, 0, 0] : [value, value, value])), width, false);
    const out = Buffer.alloc(2 * 2 * 3);
    const target = { out, width: 2, sums: new Uint32Array(6) };
    shrinkBand(band(40), width, 2, 2, false, target, 0);
    shrinkBand(band(80), width, 2, 2, false, target, 1);
    expect([...out]).toEqual([40, 40, 40, 40, 40, 40, 80, 80, 80, 80, 80, 80]);
  });

  it('copies pixels as they are at k = 1', () => {
    const out = Buffer.alloc(2 * 3);
    shrinkBand(zpixmap([[1, 2, 3], [4, 5, 6]], 2, false), 2, 1, 1, false, { out, width: 2, sums: new Uint32Array(6) }, 0);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('shrink factor', () => {
  it('is the largest whole factor that keeps the picture at least the size asked for', () => {
    expect(shrinkFactor(1920, 1080, 320, 180)).toBe(6);
    expect(shrinkFactor(1366, 768, 320, 180)).toBe(4); // 341x192, finished by sharp
    expect(shrinkFactor(1280, 720, 1280, 720)).toBe(1);
    expect(shrinkFactor(1280, 720, 1920, 1080)).toBe(1); // never below 1
    expect(shrinkFactor(3840, 1080, 320, 90)).toBe(12);
  });
});
