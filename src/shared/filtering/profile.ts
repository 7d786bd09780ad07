// The filtering profile: what a lab or a lesson blocks and allows. One zod schema for console, agent and UI.
//
// A profile's own rules: blocked categories, allowed categories, extra names to block/allow, and a
// mode ('filtered' = everything not blocked; 'allowlist-only' = only what is allowed, for lessons
// and exams). `floors` are rules that must still hold under this profile: a lesson profile made by
// `tighten` carries the lab baseline as a floor, so a lesson can only ever add restrictions.

import { z } from 'zod';
import { categoryNamePattern } from './blob-format.js';
import { normaliseName } from './names.js';

export const ageBands = ['tieu-hoc', 'thcs', 'thpt', 'custom'] as const;
export type AgeBand = (typeof ageBands)[number];
export const profileModes = ['filtered', 'allowlist-only'] as const;
export type ProfileMode = (typeof profileModes)[number];
export const youtubeModes = ['strict', 'moderate', 'off'] as const;
export type YoutubeMode = (typeof youtubeModes)[number];
export const blockResponses = ['null-ip', 'nxdomain'] as const;
export type BlockResponse = (typeof blockResponses)[number];

/** Most extra names in one of a profile's extra lists (they travel inside the profile). */
export const maxExtraEntries = 10_000;
/** Most categories a profile may name in one list. */
export const maxProfileCategories = 512;
/** Most floors one profile carries (a lesson over a baseline needs one). */
export const maxProfileFloors = 8;

const categoryName = z.string().regex(categoryNamePattern, 'filtering.profile.badCategory');
const extraName = z
  .string()
  .min(1)
  .max(1024)
  .refine((value) => normaliseName(value).ok, { message: 'filtering.profile.badName' });

export const filterRulesSchema = z.object({
  mode: z.enum(profileModes),
  blockedCategories: z.array(categoryName).max(maxProfileCategories),
  allowCategories: z.array(categoryName).max(maxProfileCategories),
  /** Names (and their subdomains) to block on top of the categories; any case, IDN or xn--. */
  extraBlock: z.array(extraName).max(maxExtraEntries),
  /** Names (and their subdomains) always allowed by this profile. */
  extraAllow: z.array(extraName).max(maxExtraEntries),
});
export type FilterRules = z.infer<typeof filterRulesSchema>;

export const filterProfileSchema = filterRulesSchema.extend({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  ageBand: z.enum(ageBands),
  /** Rewrite search engines to their SafeSearch hosts. */
  safeSearch: z.boolean(),
  youtube: z.enum(youtubeModes),
  /** How a blocked name is answered: 0.0.0.0 / :: or NXDOMAIN. */
  blockResponse: z.enum(blockResponses),
  floors: z.array(filterRulesSchema).max(maxProfileFloors).optional(),
});
export type FilterProfile = z.infer<typeof filterProfileSchema>;

/** The rules part of a profile (what a floor records). */
export function rulesOf(profile: FilterRules): FilterRules {
  return {
    mode: profile.mode,
    blockedCategories: [...profile.blockedCategories],
    allowCategories: [...profile.allowCategories],
    extraBlock: [...profile.extraBlock],
    extraAllow: [...profile.extraAllow],
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

const youtubeStrictness: Record<YoutubeMode, number> = { off: 0, moderate: 1, strict: 2 };

/**
 * The profile in force while a lesson runs over a lab baseline: never looser than either.
 * Blocks are unioned, allowlist-only wins, SafeSearch is on if either has it, YouTube takes the
 * stricter mode; the lesson's allows are kept for its own layer, and the baseline becomes a floor
 * that every lookup must also pass, so a lesson's allow entry cannot reopen what the baseline
 * blocks. The baseline's block response is kept (IT staff choose how blocks are answered).
 */
export function tighten(baseline: FilterProfile, lesson: FilterProfile): FilterProfile {
  const floors: FilterRules[] = [];
  const seen = new Set<string>();
  for (const floor of [rulesOf(baseline), ...(baseline.floors ?? []), ...(lesson.floors ?? [])]) {
    const key = JSON.stringify(floor);
    if (seen.has(key)) continue;
    seen.add(key);
    floors.push(rulesOf(floor));
  }
  if (floors.length > maxProfileFloors) throw new RangeError(`a profile can carry at most ${maxProfileFloors} floors`);
  return {
    id: lesson.id,
    name: lesson.name,
    ageBand: lesson.ageBand,
    mode: baseline.mode === 'allowlist-only' || lesson.mode === 'allowlist-only' ? 'allowlist-only' : 'filtered',
    blockedCategories: union(baseline.blockedCategories, lesson.blockedCategories),
    allowCategories: [...lesson.allowCategories],
    extraBlock: union(baseline.extraBlock, lesson.extraBlock),
    extraAllow: [...lesson.extraAllow],
    safeSearch: baseline.safeSearch || lesson.safeSearch,
    youtube: youtubeStrictness[baseline.youtube] >= youtubeStrictness[lesson.youtube] ? baseline.youtube : lesson.youtube,
    blockResponse: baseline.blockResponse,
    floors,
  };
}
