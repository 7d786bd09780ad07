// Generated domain names for filtering tests: realistic labels, no reference data needed.
import fc from 'fast-check';

const labelChars = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** One DNS label: letters/digits with inner hyphens, 1-20 chars, never all digits. */
export const label: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')),
    fc.array(fc.constantFrom(...(labelChars + '-').split('')), { maxLength: 18 }),
    fc.constantFrom(...labelChars.split('')),
  )
  .map(([first, middle, last]) => (middle.length === 0 ? first : first + middle.join('') + last));

export const tld: fc.Arbitrary<string> = fc.constantFrom('com', 'vn', 'net', 'org', 'edu.vn', 'com.vn', 'io', 'fr');

/** A registrable-looking name with 0-3 extra labels in front. */
export const domainName: fc.Arbitrary<string> = fc
  .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), label, tld)
  .map(([subs, name, suffix]) => [...subs, name, suffix].join('.'));

/**
 * A name from a small tree (3 registrable names, 0-3 labels from a 4-label alphabet in front), so
 * that generated lists hold parents and children of each other and queries land on several at once.
 */
export const relatedName: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'www', 'x'), { maxLength: 3 }), fc.constantFrom('example.com', 'school.edu.vn', 'cdn.net'))
  .map(([subs, root]) => [...subs, root].join('.'));

/** Deterministic pseudo-random names (LCG) for large inputs where fast-check would be slow. */
export function syntheticNames(count: number, seed = 1): string[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const tlds = ['com', 'net', 'org', 'vn', 'com.vn', 'fr', 'de', 'ru', 'io', 'info'];
  const names = new Set<string>();
  while (names.size < count) {
    const length = 4 + (next() % 12);
    let text = '';
    for (let i = 0; i < length; i++) text += labelChars[next() % 36];
    let name = `${text}.${tlds[next() % tlds.length]}`;
    if (next() % 4 === 0) name = `${labelChars[next() % 26]}${next() % 100}.${name}`;
    names.add(name);
  }
  return [...names];
}
