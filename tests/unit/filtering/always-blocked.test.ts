// No preset, lesson or exam profile ever lets an always-blocked name through because of a shipped allow list.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysBlockedCategories } from '../../../src/shared/filtering/categories.js';
import { compileLists, sourcesOfList, type CompileSource } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { compilePolicy, decide } from '../../../src/shared/filtering/policy.js';
import { lessonAllowlistProfile, presetProfile, withAlwaysBlocked } from '../../../src/shared/filtering/presets.js';
import { tighten, type FilterProfile } from '../../../src/shared/filtering/profile.js';
import { loadOwnLists } from '../../../src/main/filtering/own-lists.js';
import { domainName, label } from './generators.js';

const bands = ['tieu-hoc', 'thcs', 'thpt'] as const;

describe('always-blocked categories against the shipped allow lists', async () => {
  const ownLists = await loadOwnLists();
  const shippedSources = ownLists.flatMap((list) => sourcesOfList(list.category, list.kind, list.parsed));
  const shippedAllows = ownLists.filter((list) => list.kind === 'allow').flatMap((list) => list.parsed.block);

  /** A name around a shipped allow entry: the entry itself, a parent of it, or a random name. */
  const anchor = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...shippedAllows) },
    { weight: 2, arbitrary: fc.constantFrom(...shippedAllows).map((name) => name.split('.').slice(1).join('.')).filter((name) => name.includes('.')) },
    { weight: 1, arbitrary: domainName },
  );
  /** An always-blocked listing at or under an anchor, as a UT1-style list would carry it. */
  const listing = fc.record({
    category: fc.constantFrom(...alwaysBlockedCategories),
    name: fc.tuple(fc.array(label, { maxLength: 3 }), anchor).map(([subs, name]) => [...subs, name].join('.')),
    below: fc.array(fc.constantFrom('www', 'cdn', 'x1'), { maxLength: 2 }),
  });

  it('blocks every always-blocked name and everything under it, in every preset, lesson and exam profile', () => {
    fc.assert(
      fc.property(fc.array(listing, { minLength: 1, maxLength: 8 }), (listings) => {
        // The same names also sit in ordinary block categories (chat, games), as in UT1.
        const generated: CompileSource[] = listings.flatMap(({ category, name }) => [
          { category, names: [name] },
          { category: 'chat', names: [name] },
        ]);
        const byCategory = new Map<string, string[]>();
        for (const source of generated) byCategory.set(source.category, [...(byCategory.get(source.category) ?? []), ...source.names]);
        const matcher = DomainMatcher.load(compileLists([...shippedSources, ...[...byCategory].map(([category, names]) => ({ category, names }))]).blob);

        // A teacher's broader allow entries (the parents of the listed names) must not open them
        // either. (A typed entry for a listed name itself, or under one, is a deliberate act that does.)
        const listed = listings.map(({ name }) => name);
        const parents = listed
          .map((name) => name.split('.').slice(1).join('.'))
          .filter((parent) => parent.includes('.') && !listed.some((name) => parent === name || parent.endsWith(`.${name}`)));
        const lesson = withAlwaysBlocked(lessonAllowlistProfile('lesson', 'Tiết học', parents));
        const profiles: FilterProfile[] = [
          ...bands.map((band) => presetProfile(band)),
          ...bands.map((band) => ({ ...presetProfile(band), id: `${band}-typed`, extraAllow: parents })),
          lesson,
          lessonAllowlistProfile('exam', 'Kiểm tra', parents),
          ...bands.map((band) => tighten(presetProfile(band), lesson)),
        ];
        for (const profile of profiles) {
          const policy = compilePolicy(matcher, profile);
          for (const { name, below } of listings) {
            for (const query of [name, [...below, name].join('.'), name.toUpperCase() + '.']) {
              const view = policy.match(query);
              expect(decide(policy, view), `${query} under ${profile.id}`).toBe('block');
              expect(alwaysBlockedCategories, `${query} under ${profile.id}`).toContain(policy.blockingCategory(view));
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('blocks the names the audit found opened by the old suffix allows', () => {
    const matcher = DomainMatcher.load(
      compileLists([
        ...shippedSources,
        { category: 'stalkerware', names: ['tfk7r22klf8vtd8g90jq8qno1tpqhmpe.apps.googleusercontent.com'] },
        { category: 'redirector', names: ['translate.goog', 'docs.google.com'] },
        { category: 'remote-control', names: ['remotedesktop-pa.googleapis.com'] },
        { category: 'games', names: ['steamcloud-eu.storage.googleapis.com'] },
      ]).blob,
    );
    for (const band of bands) {
      const policy = compilePolicy(matcher, presetProfile(band));
      const verdict = (name: string): string => decide(policy, policy.match(name));
      expect(verdict('tfk7r22klf8vtd8g90jq8qno1tpqhmpe.apps.googleusercontent.com')).toBe('block');
      // An always-blocked category beats the lesson list even for the very same name.
      expect(verdict('docs.google.com')).toBe('block');
      expect(verdict('steamcloud-eu.storage.googleapis.com')).toBe(band === 'thpt' ? 'pass' : 'block');
      expect(verdict('remotedesktop-pa.googleapis.com')).toBe(band === 'thpt' ? 'pass' : 'block');
      expect(verdict('meet.google.com')).toBe('allow');
    }
  });
});
