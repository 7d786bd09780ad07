// The real UT1 lists, when the reference data is on this machine (CI has it; the suite passes without it).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOwnLists } from '../../../src/main/filtering/own-lists.js';
import { readUt1Folder } from '../../../src/main/filtering/ut1.js';
import { alwaysBlockedCategories, lessonPlatformsCategory, ut1CategoryKind } from '../../../src/shared/filtering/categories.js';
import { compileLists, sourcesOfList } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher, hasCategory } from '../../../src/shared/filtering/matcher.js';
import { compilePolicy, decide } from '../../../src/shared/filtering/policy.js';
import { lessonAllowlistProfile, presetProfile, withAlwaysBlocked } from '../../../src/shared/filtering/presets.js';
import { tighten } from '../../../src/shared/filtering/profile.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The data sits next to the project (../shared/data/ut1), or next to the folder of git worktrees.
const candidates = [process.env['SAFELAB_UT1_DIR'], resolve(projectRoot, '../shared/data/ut1'), resolve(projectRoot, '../../shared/data/ut1')];
const ut1Dir = candidates.find((dir): dir is string => dir !== undefined && existsSync(dir)) ?? resolve(projectRoot, '../shared/data/ut1');
const present = existsSync(ut1Dir);

const covers = (entry: string, name: string): boolean => name === entry || name.endsWith(`.${entry}`);

describe.skipIf(!present)(`UT1 reference data in ${ut1Dir}${present ? '' : ' (absent: skipped)'}`, async () => {
  const categories = present ? await readUt1Folder(ut1Dir) : [];
  const ownLists = present ? await loadOwnLists() : [];
  const ut1Sources = categories.flatMap(({ category, parsed }) => sourcesOfList(category, ut1CategoryKind(category), parsed));

  it('loads every category, compiles it and matches each listed name in its category', () => {
    expect(categories.length).toBeGreaterThan(20);
    const compiled = compileLists(ut1Sources);
    expect(compiled.stats.collisions).toBe(0);
    expect(compiled.stats.problems).toEqual([]);
    const matcher = DomainMatcher.load(compiled.blob);
    let checked = 0;
    for (const { category, parsed } of categories) {
      // Bad lines are rare and each has a reason; UT1 lists many IP addresses (redirector: ~22 k),
      // which a DNS filter cannot use and which the parser hands back separately.
      const ipLines = parsed.report.problems['ip-address'] ?? 0;
      expect(parsed.addresses.length, category).toBeLessThanOrEqual(ipLines);
      expect(parsed.report.bad - ipLines, category).toBeLessThan(parsed.report.accepted * 0.01 + 20);
      for (const example of parsed.report.examples) expect(example.line).toBeGreaterThan(0);
      const index = matcher.categoryIndex(category);
      for (let i = 0; i < parsed.block.length; i += 97) {
        expect(hasCategory(matcher.match(`www.${parsed.block[i]!}`).categories, index), `${category}: ${parsed.block[i]}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(matcher.categoryKinds[matcher.categoryIndex('child')]).toBe('allow');
  });

  it('never lets the shipped lesson list open an always-blocked UT1 name, in any preset, lesson or exam', () => {
    const matcher = DomainMatcher.load(compileLists([...ownLists.flatMap((list) => sourcesOfList(list.category, list.kind, list.parsed)), ...ut1Sources]).blob);
    const lesson = withAlwaysBlocked(lessonAllowlistProfile('lesson', 'Tiết học'));
    const profiles = [
      ...(['tieu-hoc', 'thcs', 'thpt'] as const).map((band) => presetProfile(band)),
      lesson,
      ...(['tieu-hoc', 'thcs', 'thpt'] as const).map((band) => tighten(presetProfile(band), lesson)),
    ];
    const lessonNames = ownLists.find((list) => list.category === lessonPlatformsCategory)!.parsed.block;
    const always = new Set(alwaysBlockedCategories);
    // Every always-blocked name near a lesson platform (either covering the other), and a sample of all the others.
    const queries: string[] = ['tfk7r22klf8vtd8g90jq8qno1tpqhmpe.apps.googleusercontent.com'];
    for (const { category, parsed } of categories) {
      if (!always.has(category)) continue;
      parsed.block.forEach((name, i) => {
        if (lessonNames.some((allowed) => covers(allowed, name) || covers(name, allowed))) {
          queries.push(name, `deep.${name}`);
        } else if (i % 53 === 0) {
          queries.push(`www.${name}`);
        }
      });
    }
    expect(queries.length).toBeGreaterThan(1000);
    for (const profile of profiles) {
      const policy = compilePolicy(matcher, profile);
      for (const query of queries) expect(decide(policy, policy.match(query)), `${query} under ${profile.id}`).toBe('block');
    }
  });

  it('keeps the audit’s examples blocked and the lesson platforms working under the strictest preset', () => {
    const matcher = DomainMatcher.load(compileLists([...ownLists.flatMap((list) => sourcesOfList(list.category, list.kind, list.parsed)), ...ut1Sources]).blob);
    for (const band of ['tieu-hoc', 'thcs', 'thpt'] as const) {
      const policy = compilePolicy(matcher, presetProfile(band));
      const verdict = (name: string): string => decide(policy, policy.match(name));
      expect(verdict('tfk7r22klf8vtd8g90jq8qno1tpqhmpe.apps.googleusercontent.com')).toBe('block');
      if (band !== 'thpt') {
        expect(verdict('remotedesktop-pa.googleapis.com')).toBe('block');
        // UT1 lists Teams as chat; the lesson list names the same hosts, so lessons still work.
        for (const name of ['teams.microsoft.com', 'statics.teams.cdn.office.net', 'sfbassets.com', 'join.secure.skypeassets.com', 'pub-ent-sg-01.trouter.skype.com']) {
          expect(verdict(name), `${name} under ${band}`).toBe('allow');
        }
        expect(verdict('web.skype.com')).toBe('block');
      }
      for (const name of ['meet.google.com', 'accounts.google.com', 'login.microsoftonline.com', 'olm.vn', 'azota.vn', 'zoom.us']) expect(verdict(name), `${name} under ${band}`).toBe('allow');
    }
  });
});
