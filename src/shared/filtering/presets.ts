// Preset profiles per age band (Tiểu học, THCS, THPT), in UT1 category names plus our own lists.
//
// Editable by IT staff; these are the starting points. Category names that are not compiled in
// (a UT1 list never downloaded, e.g. the 4.6 M-name `adult`) are reported by compilePolicy as
// missing, so the UI can say so instead of silently filtering less.

import { alwaysBlockedCategories, lessonPlatformsCategory } from './categories.js';
import type { AgeBand, FilterProfile } from './profile.js';

/** Blocked in every preset (defined with the other fixed category names, categories.ts). */
export { alwaysBlockedCategories };

const thptBlocks: readonly string[] = [
  ...alwaysBlockedCategories,
  'dating',
  'lingerie',
  'hacking',
  'warez',
  'tricheur',
  'sect',
  'publicite',
  'marketingware',
];

// Lower secondary (11-15): no social networks, no games, no chat, no AI chatbots (most require 13+
// or 18+), nothing that reaches a home PC or hides behind changing addresses.
const thcsBlocks: readonly string[] = [
  ...thptBlocks,
  'social_networks',
  'games',
  'chat',
  'ai',
  'manga',
  'fakenews',
  'dynamic-dns',
  'remote-control',
];

// Primary (6-11): the strictest: also video sites, webmail, file hosting, link shorteners, forums,
// celebrity news and the rest of the grown-up web.
const tieuHocBlocks: readonly string[] = [
  ...thcsBlocks,
  'audio-video',
  'webmail',
  'filehosting',
  'shortener',
  'forums',
  'blog',
  'celebrity',
  'astrology',
  'sexual_education',
  'mobile-phone',
  'radio',
  'bitcoin',
];

const presetBlocks: Record<Exclude<AgeBand, 'custom'>, readonly string[]> = {
  'tieu-hoc': tieuHocBlocks,
  thcs: thcsBlocks,
  thpt: thptBlocks,
};

const presetNames: Record<Exclude<AgeBand, 'custom'>, string> = {
  'tieu-hoc': 'Tiểu học',
  thcs: 'THCS',
  thpt: 'THPT',
};

/** A fresh copy of the preset profile for an age band (filtered mode, SafeSearch on, YouTube strict). */
export function presetProfile(ageBand: Exclude<AgeBand, 'custom'>): FilterProfile {
  return {
    id: `preset-${ageBand}`,
    name: presetNames[ageBand],
    ageBand,
    mode: 'filtered',
    blockedCategories: [...new Set(presetBlocks[ageBand])],
    allowCategories: [lessonPlatformsCategory],
    extraBlock: [],
    extraAllow: [],
    safeSearch: true,
    youtube: 'strict',
    blockResponse: 'null-ip',
  };
}

/**
 * The preset for a lesson that allows only lesson platforms (and the teacher's extra sites). It
 * still names the always-blocked categories, so that even on its own (without the lab baseline as a
 * floor) a teacher's `example.com` never opens an adult or proxy name listed under it.
 */
export function lessonAllowlistProfile(id: string, name: string, extraAllow: readonly string[] = []): FilterProfile {
  return {
    id,
    name,
    ageBand: 'custom',
    mode: 'allowlist-only',
    blockedCategories: [...alwaysBlockedCategories],
    allowCategories: [lessonPlatformsCategory],
    extraBlock: [],
    extraAllow: [...extraAllow],
    safeSearch: true,
    youtube: 'strict',
    blockResponse: 'null-ip',
  };
}

/** The profile with the always-blocked categories added (for profiles IT staff build from scratch). */
export function withAlwaysBlocked(profile: FilterProfile): FilterProfile {
  return { ...profile, blockedCategories: [...new Set([...profile.blockedCategories, ...alwaysBlockedCategories])] };
}
