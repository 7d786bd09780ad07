// Profile rules on the console: the built-in presets, what IT staff may not take out of a profile,
// what a lab enforces (baseline, tightened by a lesson), and how a change reads in the audit log.

import { createHash } from 'node:crypto';
import type { FilterProfileBody } from '../../shared/api/contract.js';
import { alwaysBlockedCategories, lessonAllowlistProfile, presetProfile, withAlwaysBlocked } from '../../shared/filtering/presets.js';
import { tighten, type FilterProfile } from '../../shared/filtering/profile.js';

/** The built-in lesson profile: only lesson platforms (and what the teacher adds) open. */
export const lessonAllowlistProfileId = 'lesson-allowlist';
const lessonAllowlistName = 'Chỉ trang học tập';

/**
 * The baseline of a lab nobody chose one for. THCS (lower secondary) sits in the middle: no social
 * networks, games or chat, which also suits most primary labs better than the open THPT preset,
 * and IT staff set Tiểu học or THPT per lab where that fits.
 */
export const defaultBaselineProfileId = 'preset-thcs';

/** Fresh copies of the presets the store is seeded with (their ids are fixed). */
export function builtInProfiles(): FilterProfile[] {
  return [
    presetProfile('tieu-hoc'),
    presetProfile('thcs'),
    presetProfile('thpt'),
    // The always-blocked categories are carried by every profile, so the "cannot be removed" rule
    // reads the same for all of them (in allowlist-only mode they change nothing).
    withAlwaysBlocked(lessonAllowlistProfile(lessonAllowlistProfileId, lessonAllowlistName)),
  ];
}

/** The always-blocked categories a profile's rules leave out (must be empty to save it). */
export function missingAlwaysBlocked(profile: Pick<FilterProfile, 'blockedCategories'>): string[] {
  const blocked = new Set(profile.blockedCategories);
  return alwaysBlockedCategories.filter((category) => !blocked.has(category));
}

/** A profile from an edited body and its id (the body never carries floors). */
export function profileFromBody(id: string, body: FilterProfileBody): FilterProfile {
  return { id, ...body, blockedCategories: [...new Set(body.blockedCategories)], allowCategories: [...new Set(body.allowCategories)] };
}

/**
 * What a lab's PCs enforce: the baseline with the always-blocked categories, tightened by the
 * running lesson's profile when it has one (never looser than the baseline, see `tighten`).
 */
export function effectiveProfile(baseline: FilterProfile, lessonProfile: FilterProfile | null): FilterProfile {
  const floor = withAlwaysBlocked(baseline);
  return lessonProfile ? tighten(floor, lessonProfile) : floor;
}

/** Names one exact profile: a PC that acknowledged this key enforces exactly these rules. */
export function profileKey(profile: FilterProfile): string {
  return createHash('sha256').update(JSON.stringify(profile)).digest('hex');
}

type Change = { from: unknown; to: unknown } | { added: string[]; removed: string[] };

/**
 * What changed between two versions of a profile, for the audit log: scalar fields as from → to,
 * lists as added / removed (a 10 000-name allowlist must not be copied into every entry).
 */
export function profileChanges(before: FilterProfile | null, after: FilterProfile | null): Record<string, Change> {
  const changes: Record<string, Change> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    if (key === 'floors') continue;
    const a = (before as Record<string, unknown> | null)?.[key];
    const b = (after as Record<string, unknown> | null)?.[key];
    if (Array.isArray(a) || Array.isArray(b)) {
      const was = new Set((a as string[] | undefined) ?? []);
      const now = new Set((b as string[] | undefined) ?? []);
      const added = [...now].filter((x) => !was.has(x));
      const removed = [...was].filter((x) => !now.has(x));
      if (added.length > 0 || removed.length > 0) changes[key] = { added, removed };
    } else if (a !== b) {
      changes[key] = { from: a ?? null, to: b ?? null };
    }
  }
  return changes;
}
