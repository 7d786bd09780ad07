// Which profiles a lesson may switch to over a lab baseline, and which of them would change nothing.
import type { ProfileRow } from '../../../shared/api/contract.js';
import type { Language } from '../../../shared/i18n/index.js';
import { translate } from '../../../shared/i18n/index.js';
import type { ProfileOption } from './ProfileChoice.js';
import { addsRestrictions, sortProfiles } from './filter-text.js';

/**
 * Every profile but the baseline itself; those that add nothing to the baseline are shown
 * disabled with why (a lesson only ever tightens). The current choice stays choosable.
 */
export function lessonProfileOptions(language: Language, rows: Iterable<ProfileRow>, baseline: ProfileRow | undefined, current: string | null): ProfileOption[] {
  return sortProfiles(rows, language)
    .filter((row) => row.profile.id !== baseline?.profile.id)
    .map((row) => {
      const adds = !baseline || addsRestrictions(baseline.profile, row.profile);
      return adds || row.profile.id === current ? { row } : { row, disabledReason: translate(language, 'ui.filter.notStricter') };
    });
}
