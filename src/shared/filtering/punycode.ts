// Punycode (RFC 3492) and IDN label conversion, in-house because shared code may not use node:url or node:punycode.
//
// Lists and teachers write Vietnamese names (bộgiáodục.vn); DNS carries them as xn-- labels. Only the
// conversion is done here; which names are acceptable is decided in names.ts.

const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;
const initialBias = 72;
const initialN = 0x80;
const delimiter = 0x2d; // '-'
const maxInt = 0x7fffffff;

/** Prefix that marks an ACE (ASCII-compatible encoding) label. */
export const acePrefix = 'xn--';

function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  let d = firstTime ? Math.floor(delta / damp) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((base - tMin) * tMax) >> 1) {
    d = Math.floor(d / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
}

function encodeDigit(d: number): number {
  // 0..25 -> 'a'..'z', 26..35 -> '0'..'9'
  return d < 26 ? 0x61 + d : 0x16 + d;
}

function decodeDigit(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x16;
  if (cp >= 0x41 && cp <= 0x5a) return cp - 0x41;
  if (cp >= 0x61 && cp <= 0x7a) return cp - 0x61;
  return base;
}

/** RFC 3492 encoding of one label's code points (basic code points are copied as given, case kept). */
export function punycodeEncode(input: string): string {
  const codePoints: number[] = [];
  for (const ch of input) codePoints.push(ch.codePointAt(0)!);
  const out: number[] = [];
  for (const cp of codePoints) if (cp < 0x80) out.push(cp);
  const basicCount = out.length;
  let handled = basicCount;
  if (basicCount > 0) out.push(delimiter);

  let n = initialN;
  let delta = 0;
  let bias = initialBias;
  while (handled < codePoints.length) {
    let m = maxInt;
    for (const cp of codePoints) if (cp >= n && cp < m) m = cp;
    if (m - n > Math.floor((maxInt - delta) / (handled + 1))) throw new RangeError('punycode overflow');
    delta += (m - n) * (handled + 1);
    n = m;
    for (const cp of codePoints) {
      if (cp < n && ++delta > maxInt) throw new RangeError('punycode overflow');
      if (cp !== n) continue;
      let q = delta;
      for (let k = base; ; k += base) {
        const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
        if (q < t) break;
        out.push(encodeDigit(t + ((q - t) % (base - t))));
        q = Math.floor((q - t) / (base - t));
      }
      out.push(encodeDigit(q));
      bias = adapt(delta, handled + 1, handled === basicCount);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return String.fromCharCode(...out);
}

/** RFC 3492 decoding of one label (without the xn-- prefix). Throws RangeError on malformed input. */
export function punycodeDecode(input: string): string {
  const output: number[] = [];
  const last = input.lastIndexOf('-');
  const basicEnd = last < 0 ? 0 : last;
  for (let j = 0; j < basicEnd; j++) {
    const cp = input.charCodeAt(j);
    if (cp >= 0x80) throw new RangeError('punycode: non-basic code point before the delimiter');
    output.push(cp);
  }
  let n = initialN;
  let i = 0;
  let bias = initialBias;
  for (let pos = last < 0 ? 0 : last + 1; pos < input.length; ) {
    const oldI = i;
    for (let w = 1, k = base; ; k += base) {
      if (pos >= input.length) throw new RangeError('punycode: truncated input');
      const digit = decodeDigit(input.charCodeAt(pos++));
      if (digit >= base || digit > Math.floor((maxInt - i) / w)) throw new RangeError('punycode: bad digit');
      i += digit * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      if (w > Math.floor(maxInt / (base - t))) throw new RangeError('punycode overflow');
      w *= base - t;
    }
    const count = output.length + 1;
    bias = adapt(i - oldI, count, oldI === 0);
    if (Math.floor(i / count) > maxInt - n) throw new RangeError('punycode overflow');
    n += Math.floor(i / count);
    i %= count;
    if (n > 0x10ffff) throw new RangeError('punycode: code point out of range');
    output.splice(i++, 0, n);
  }
  return String.fromCodePoint(...output);
}

// Ideographic and fullwidth full stops count as label separators (IDNA2008 / UTS #46).
const dotLike = /[\u3002\uff0e\uff61]/g;
// Code points UTS #46 maps to nothing ("ignored"): soft hyphen, combining grapheme joiner, Mongolian
// free variation selectors, zero-width space, word joiner, variation selectors, BOM.
const ignored = /[\u00ad\u034f\u180b-\u180d\u200b\u2060\ufe00-\ufe0f\ufeff]|\udb40[\udd00-\uddef]/g;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** `text` without the code points UTS #46 ignores. */
export function removeIgnored(text: string): string {
  return text.replace(ignored, '');
}

/**
 * Folds a Unicode domain name the way UTS #46 mostly does before encoding: ideographic dots to
 * '.', ignored code points removed, NFKC, lower case. ASCII names are only lower-cased.
 */
export function foldDomain(name: string): string {
  if (isAscii(name)) return name.toLowerCase();
  return removeIgnored(name.replace(dotLike, '.')).normalize('NFKC').toLowerCase().normalize('NFC');
}

/**
 * Converts a domain name to its ASCII (xn--) form, label by label, after folding it (foldDomain).
 * Which labels are acceptable is not decided here (names.ts). Throws RangeError when a label cannot
 * be encoded (only absurdly long input overflows).
 */
export function domainToAscii(name: string): string {
  if (isAscii(name)) return name.toLowerCase();
  const labels = foldDomain(name).split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!isAscii(label)) labels[i] = acePrefix + punycodeEncode(label);
  }
  return labels.join('.');
}

/** Shows xn-- labels in Unicode for people (block reports, the UI); labels that do not decode stay as they are. */
export function domainToUnicode(name: string): string {
  if (!name.includes(acePrefix)) return name;
  return name
    .split('.')
    .map((label) => {
      if (!label.toLowerCase().startsWith(acePrefix)) return label;
      try {
        return punycodeDecode(label.slice(acePrefix.length));
      } catch {
        return label;
      }
    })
    .join('.');
}
