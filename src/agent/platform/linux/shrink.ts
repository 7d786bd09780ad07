// Scaling the screen down while it is read: each band of the screen (ZPixmap, 32 bits a pixel)
// is averaged in k×k blocks into RGB as soon as it arrives, so a 320 px thumbnail of a 1920 px
// screen never holds the full-size screen in memory, and sharp only finishes a small picture.
// A box average is what libvips itself does for the integer part of a shrink.

/** Whole-pixel shrink factor that leaves the picture at least `width`×`height` (never below 1). */
export function shrinkFactor(screenWidth: number, screenHeight: number, width: number, height: number): number {
  return Math.max(1, Math.floor(Math.min(screenWidth / Math.max(1, width), screenHeight / Math.max(1, height))));
}

/** Where R, G and B sit in a 32-bit ZPixmap pixel: B,G,R,X on little-endian servers, X,R,G,B on big-endian ones. */
function channelOffsets(msbFirst: boolean): [number, number, number] {
  return msbFirst ? [1, 2, 3] : [2, 1, 0];
}

export interface ShrinkTarget {
  /** RGB output, `width` × (at least `firstRow` + band rows / k) pixels. */
  out: Buffer;
  width: number;
  /** Scratch space for one output row: width × 3 sums. */
  sums: Uint32Array;
}

/**
 * Averages `rows` rows (a multiple of k) of a 32-bit ZPixmap band `bandWidth` pixels wide into
 * rows of `target.out` from `firstRow` on; columns past width × k (fewer than k) are dropped.
 * Returns how many output rows were written.
 */
export function shrinkBand(band: Uint8Array, bandWidth: number, rows: number, k: number, msbFirst: boolean, target: ShrinkTarget, firstRow: number): number {
  const { out, width, sums } = target;
  const [ro, go, bo] = channelOffsets(msbFirst);
  const rowBytes = bandWidth * 4;
  const area = k * k;
  const half = area >> 1;
  const outRows = Math.floor(rows / k);
  for (let r = 0; r < outRows; r++) {
    sums.fill(0, 0, width * 3);
    for (let dy = 0; dy < k; dy++) {
      let p = (r * k + dy) * rowBytes;
      for (let s = 0; s < width * 3; s += 3) {
        let red = 0;
        let green = 0;
        let blue = 0;
        for (let dx = 0; dx < k; dx++, p += 4) {
          red += band[p + ro]!;
          green += band[p + go]!;
          blue += band[p + bo]!;
        }
        sums[s] += red;
        sums[s + 1] += green;
        sums[s + 2] += blue;
      }
    }
    let o = (firstRow + r) * width * 3;
    for (let i = 0; i < width * 3; i++, o++) out[o] = ((sums[i]! + half) / area) | 0;
  }
  return outRows;
}
