// Category names with a fixed meaning: our own lists, the profile-extra categories, and which UT1
// categories are allowlists rather than blocklists.

import { maxCategoryNameBytes, type CategoryKind } from './blob-format.js';

/** Our own list of encrypted-DNS (DoH/DoT) endpoints (resources/lists/doh-providers.txt). */
export const dohProvidersCategory = 'doh-providers';
/** Our own allowlist of lesson platforms and what they need to sign in (resources/lists/lesson-platforms.txt). */
export const lessonPlatformsCategory = 'lesson-platforms';

/** Category reported for names blocked by a profile's extraBlock list. */
export const customBlockCategory = 'custom-block';
/** Category reported for names allowed by a profile's extraAllow list. */
export const customAllowCategory = 'custom-allow';
/** Reported as the "category" of a name blocked only because it is not on a lesson allowlist. */
export const notOnAllowlistCategory = 'allowlist-only';

/**
 * Suffix of the allow category holding a list's own `@@` exceptions (`easylist` -> `easylist-allow`).
 * Reserved: no list may be filed under a name ending in it (compile.ts leaves such a list out), so
 * an allow list called `adult-allow` can never pass for the exceptions of `adult`.
 */
export const exceptionCategorySuffix = '-allow';

/** A category name only the compiler may give: a list's `@@` exceptions (see exceptionCategorySuffix). */
export function isReservedCategoryName(category: string): boolean {
  return category.endsWith(exceptionCategorySuffix);
}

/** Characters of the short hash that keeps a long list's exception category unique. */
const exceptionHashChars = 8;

/**
 * The allow category holding the `@@` exceptions of block list `category`. Always a valid category
 * name: when `<category>-allow` would be longer than a category name may be, the list name is cut
 * and a hash of the whole name keeps it apart from other long names with the same beginning.
 */
export function exceptionCategoryOf(category: string): string {
  const plain = category + exceptionCategorySuffix;
  if (plain.length <= maxCategoryNameBytes) return plain;
  let hash = 0x811c9dc5;
  for (let i = 0; i < category.length; i++) hash = Math.imul(hash ^ category.charCodeAt(i), 0x01000193);
  const tag = (hash >>> 0).toString(36).padStart(exceptionHashChars, '0').slice(-exceptionHashChars);
  const keep = maxCategoryNameBytes - exceptionCategorySuffix.length - exceptionHashChars - 1;
  return `${category.slice(0, keep)}-${tag}${exceptionCategorySuffix}`;
}

/**
 * Blocked in every preset, and never opened by a shipped allow list nor by a list's own `@@`
 * exceptions: adult content, gambling, drugs, violence, dangerous material, malware/phishing and
 * the ways round the filter (encrypted DNS, VPNs, proxies, redirectors). UT1 names: agressif =
 * violence, drogue = drugs, arjel = licensed gambling. Only an allow entry a person typed into a
 * profile, for that name or a deeper one, can lift such a block (policy.ts).
 */
export const alwaysBlockedCategories: readonly string[] = [
  'adult',
  'mixed_adult',
  'gambling',
  'arjel',
  'drogue',
  'agressif',
  'dangerous_material',
  'malware',
  'phishing',
  'cryptojacking',
  'stalkerware',
  'ddos',
  'doh',
  dohProvidersCategory,
  'vpn',
  'residential-proxies',
  'redirector',
];

/**
 * UT1 categories that list sites to allow, not to block (UT1 README: child = "any website allowed
 * to child (less than 10 years old)"; liste_blanche / liste_bu / exceptions_liste_bu are library
 * allowlists; examen_pix is the allowlist for the French PIX exam).
 */
export const ut1AllowCategories: ReadonlySet<string> = new Set(['child', 'liste_blanche', 'liste_bu', 'exceptions_liste_bu', 'examen_pix']);

/** The kind a UT1 category is compiled as. */
export function ut1CategoryKind(category: string): CategoryKind {
  return ut1AllowCategories.has(category) ? 'allow' : 'block';
}
