// 64-bit fingerprints of domain names, computed right to left so every parent name's fingerprint
// falls out of the same pass (com, example.com, www.example.com) without slicing strings.
//
// Two independent 32-bit lanes: FNV-1a and a multiply-xorshift lane with a different multiplier,
// each finished with the murmur3 avalanche. Every per-byte step is a bijection of the lane state,
// so two names of equal length that differ in one character never collide. Lookups treat the pair
// as one 64-bit key: for n listed names, a name that is not listed hits one of them by accident with
// probability about n / 2^64 per parent probed (1 M names: ~5e-14; a lab making 10^9 lookups a
// year expects ~2e-4 false matches a year). The compiler merges and counts collisions among the
// listed names themselves (birthday bound n^2 / 2^65: ~3e-8 for 1 M names).

export const fnvOffsetBasis = 0x811c9dc5;
export const fnvPrime = 0x01000193;
export const mixSeed = 0x9747b28c;
export const mixMultiplier = 0x5bd1e995;
export const lengthMultiplier = 0x9e3779b1;

/** murmur3's 32-bit finaliser: spreads every input bit over the output (needed for bucket indexing). */
export function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Writes the fingerprint of `name` (already in normal form; ASCII upper case is folded anyway) into
 * out[0] (h1) and out[1] (h2). Must stay identical to the loop in DomainMatcher.match.
 */
export function fingerprintName(name: string, out: Uint32Array): void {
  let a = fnvOffsetBasis;
  let b = mixSeed;
  for (let i = name.length - 1; i >= 0; i--) {
    let c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    a = Math.imul(a ^ c, fnvPrime);
    b = Math.imul(b ^ c, mixMultiplier);
    b ^= b >>> 15;
  }
  const length = name.length;
  out[0] = avalanche(a ^ length);
  out[1] = avalanche(b ^ Math.imul(length, lengthMultiplier));
}

/**
 * Calls `onParent(h1, h2)` with the fingerprint of each proper parent of `name` that has at least
 * two labels, shortest first (for a.b.c.d: c.d, then b.c.d). Single labels are skipped because no
 * list entry can be one (names.ts refuses them); the name itself is not reported.
 */
export function forEachParentFingerprint(name: string, onParent: (h1: number, h2: number) => void): void {
  let a = fnvOffsetBasis;
  let b = mixSeed;
  const end = name.length;
  let seenDot = false;
  for (let i = end - 1; i >= 0; i--) {
    let c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (seenDot) {
        const length = end - i - 1;
        onParent(avalanche(a ^ length), avalanche(b ^ Math.imul(length, lengthMultiplier)));
      }
      seenDot = true;
    } else if (c >= 0x41 && c <= 0x5a) {
      c += 0x20;
    }
    a = Math.imul(a ^ c, fnvPrime);
    b = Math.imul(b ^ c, mixMultiplier);
    b ^= b >>> 15;
  }
}
