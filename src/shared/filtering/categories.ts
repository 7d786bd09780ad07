// Category names with a fixed meaning: our own lists, the profile-extra categories, and which UT1
// categories are allowlists rather than blocklists.

import type { CategoryKind } from './blob-format.js';

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

/** Suffix of the allow category holding a list's own `@@` exceptions (`easylist` -> `easylist-allow`). */
export const exceptionCategorySuffix = '-allow';

export function exceptionCategoryOf(category: string): string {
  return category + exceptionCategorySuffix;
}

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
