// Profile rules on the console: presets carry the always-blocked categories, a lesson only ever
// tightens the lab baseline, and an edit reads in the audit log as old → new.
import { describe, expect, it } from 'vitest';
import { compileLists } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { compilePolicy } from '../../../src/shared/filtering/policy.js';
import { alwaysBlockedCategories, presetProfile } from '../../../src/shared/filtering/presets.js';
import type { FilterProfile } from '../../../src/shared/filtering/profile.js';
import {
  builtInProfiles,
  defaultBaselineProfileId,
  effectiveProfile,
  lessonAllowlistProfileId,
  missingAlwaysBlocked,
  profileChanges,
  profileKey,
} from '../../../src/main/web-filtering/profiles.js';

const matcher = DomainMatcher.load(
  compileLists([
    { category: 'adult', names: ['porn.test'] },
    { category: 'gambling', names: ['casino.test'] },
    { category: 'games', names: ['game.test'] },
    { category: 'lesson-platforms', kind: 'allow', names: ['olm.vn'] },
  ]).blob,
);

function verdict(profile: FilterProfile, name: string): string {
  const policy = compilePolicy(matcher, profile);
  return policy.decide(policy.match(name));
}

const allowlist = (): FilterProfile => builtInProfiles().find((p) => p.id === lessonAllowlistProfileId)!;

describe('built-in profiles', () => {
  it('seeds the three age-band presets and the lesson allowlist, every one blocking the always-blocked categories', () => {
    const profiles = builtInProfiles();
    expect(profiles.map((p) => p.id)).toEqual(['preset-tieu-hoc', 'preset-thcs', 'preset-thpt', lessonAllowlistProfileId]);
    for (const profile of profiles) expect(missingAlwaysBlocked(profile)).toEqual([]);
    expect(allowlist()).toMatchObject({ mode: 'allowlist-only', allowCategories: ['lesson-platforms'] });
    expect(defaultBaselineProfileId).toBe('preset-thcs');
  });

  it('names what a profile would unblock of the always-blocked categories', () => {
    const thpt = presetProfile('thpt');
    expect(missingAlwaysBlocked({ blockedCategories: thpt.blockedCategories.filter((c) => c !== 'adult' && c !== 'vpn') })).toEqual(['adult', 'vpn']);
    expect(alwaysBlockedCategories).toEqual(expect.arrayContaining(['adult', 'gambling', 'doh', 'vpn', 'redirector']));
  });
});

describe('what a lab enforces', () => {
  it('adds the always-blocked categories to a baseline that lacks them', () => {
    const loose: FilterProfile = { ...presetProfile('thpt'), blockedCategories: ['games'] };
    const effective = effectiveProfile(loose, null);
    expect(effective.blockedCategories).toEqual(expect.arrayContaining(['games', ...alwaysBlockedCategories]));
    expect(verdict(effective, 'porn.test')).toBe('block');
  });

  it('during a lesson on the allowlist: only lesson platforms open, and the baseline still blocks', () => {
    const effective = effectiveProfile(presetProfile('thcs'), allowlist());
    expect(effective).toMatchObject({ id: lessonAllowlistProfileId, mode: 'allowlist-only' });
    expect(verdict(effective, 'olm.vn')).toBe('allow');
    expect(verdict(effective, 'www.olm.vn')).toBe('allow');
    expect(verdict(effective, 'site.test')).toBe('block');
    expect(verdict(effective, 'casino.test')).toBe('block');
    // Without the lesson, the same lab forwards an unlisted site.
    expect(verdict(effectiveProfile(presetProfile('thcs'), null), 'site.test')).toBe('pass');
  });

  it('never lets a lesson profile reopen what the baseline blocks', () => {
    const sneaky: FilterProfile = { ...allowlist(), id: 'sneaky', mode: 'filtered', blockedCategories: [], extraAllow: ['casino.test', 'game.test'] };
    const effective = effectiveProfile(presetProfile('thcs'), sneaky);
    expect(verdict(effective, 'casino.test')).toBe('block');
    expect(verdict(effective, 'game.test')).toBe('block');
    expect(effective.safeSearch).toBe(true);
  });

  it('gives equal rules equal keys and different rules different keys', () => {
    const a = effectiveProfile(presetProfile('thcs'), null);
    expect(profileKey(a)).toBe(profileKey(effectiveProfile(presetProfile('thcs'), null)));
    expect(profileKey(a)).not.toBe(profileKey({ ...a, extraBlock: ['x.test'] }));
    expect(profileKey(a)).not.toBe(profileKey(effectiveProfile(presetProfile('thcs'), allowlist())));
  });
});

describe('how a profile change reads in the audit log', () => {
  it('lists scalar fields as from → to and lists as added / removed', () => {
    const before = presetProfile('thcs');
    const after: FilterProfile = {
      ...before,
      name: 'THCS (trường)',
      youtube: 'moderate',
      blockedCategories: [...before.blockedCategories.filter((c) => c !== 'manga'), 'astrology'],
      extraAllow: ['school.edu.vn'],
    };
    expect(profileChanges(before, after)).toEqual({
      name: { from: 'THCS', to: 'THCS (trường)' },
      youtube: { from: 'strict', to: 'moderate' },
      blockedCategories: { added: ['astrology'], removed: ['manga'] },
      extraAllow: { added: ['school.edu.vn'], removed: [] },
    });
    expect(profileChanges(before, { ...before })).toEqual({});
  });

  it('records a created profile as everything added', () => {
    const changes = profileChanges(null, presetProfile('thpt'));
    expect(changes['mode']).toEqual({ from: null, to: 'filtered' });
    expect(changes['blockedCategories']).toMatchObject({ removed: [] });
  });
});
