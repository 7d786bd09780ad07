// Converts sharp's raw RGB pixels into the ZPixmap bytes PutImage expects at the root depth.

/** Raw image as sharp gives it with `.raw()`: 3 (RGB) or 4 (RGBA) bytes per pixel, row-major. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** ZPixmap layout of the server: bytes per pixel (32 bpp for depth 24, 16 bpp for depth 16) and byte order. */
export interface PixelLayout {
  pixelBytes: number;
  msbFirst: boolean;
  depth: number;
}

export function toZPixmap(image: RawImage, layout: PixelLayout): Buffer {
  const { data, width, height, channels } = image;
  const count = width * height;
  if (layout.pixelBytes === 4 && layout.depth >= 24) {
    const out = Buffer.allocUnsafe(count * 4);
    for (let i = 0, s = 0, d = 0; i < count; i++, s += channels, d += 4) {
      if (layout.msbFirst) {
        out[d] = 0;
        out[d + 1] = data[s]!;
        out[d + 2] = data[s + 1]!;
        out[d + 3] = data[s + 2]!;
      } else {
        out[d] = data[s + 2]!;
        out[d + 1] = data[s + 1]!;
        out[d + 2] = data[s]!;
        out[d + 3] = 0;
      }
    }
    return out;
  }
  if (layout.pixelBytes === 2 && layout.depth === 16) {
    const out = Buffer.allocUnsafe(count * 2);
    for (let i = 0, s = 0; i < count; i++, s += channels) {
      const v = ((data[s]! >> 3) << 11) | ((data[s + 1]! >> 2) << 5) | (data[s + 2]! >> 3);
      if (layout.msbFirst) out.writeUInt16BE(v, i * 2);
      else out.writeUInt16LE(v, i * 2);
    }
    return out;
  }
  throw new Error(`unsupported X pixel format: depth ${layout.depth}, ${layout.pixelBytes * 8} bits per pixel`);
}

/** The X pixel value of an RGB colour at the given layout (for window background pixels). */
export function pixelValue(rgb: number, layout: PixelLayout): number {
  if (layout.depth === 16) {
    const r = (rgb >> 16) & 0xff;
    const g = (rgb >> 8) & 0xff;
    const b = rgb & 0xff;
    return ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3);
  }
  // TrueColor depth 24/32: 0x00RRGGBB is the pixel value.
  return rgb & 0xffffff;
}

/** Converts ZPixmap bytes from GetImage (32 bpp) back to RGB for sharp. */
export function zpixmapToRgb(data: Buffer, width: number, height: number, layout: PixelLayout): Buffer {
  const count = width * height;
  if (layout.pixelBytes !== 4) throw new Error(`cannot read ${layout.pixelBytes * 8} bits per pixel screen images`);
  const out = Buffer.allocUnsafe(count * 3);
  for (let i = 0, s = 0, d = 0; i < count; i++, s += 4, d += 3) {
    if (layout.msbFirst) {
      out[d] = data[s + 1]!;
      out[d + 1] = data[s + 2]!;
      out[d + 2] = data[s + 3]!;
    } else {
      out[d] = data[s + 2]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s]!;
    }
  }
  return out;
}
