// Profiles compiled against lists: what is blocked, allowed or passed, and that a lesson only ever tightens.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lessonPlatformsCategory } from '../../../src/shared/filtering/categories.js';
import { checksumStart, headerOffsets } from '../../../src/shared/filtering/blob-format.js';
import { compileLists, sourcesOfList } from '../../../src/shared/filtering/compile.js';
import { crc32 } from '../../../src/shared/filtering/crc32.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { compilePolicy, decide, type CompiledPolicy, type Verdict } from '../../../src/shared/filtering/policy.js';
import { alwaysBlockedCategories, lessonAllowlistProfile, presetProfile, withAlwaysBlocked } from '../../../src/shared/filtering/presets.js';
import { filterProfileSchema, tighten, type FilterProfile } from '../../../src/shared/filtering/profile.js';
import { domainName, label, relatedName } from './generators.js';
import { referenceVerdict, type ReferenceSource } from './reference-policy.js';

const matcher = DomainMatcher.load(
  compileLists([
    { category: 'gambling', names: ['casino.example.com', 'bet.vn'] },
    { category: 'social_networks', names: ['social.example.com', 'facebook.com'] },
    { category: 'chat', names: ['teams.microsoft.com', 'chat.example.com'] },
    { category: 'adult', names: ['xxx.example.net'] },
    { category: lessonPlatformsCategory, kind: 'allow', names: ['olm.vn', 'teams.microsoft.com', 'meet.google.com'] },
    ...sourcesOfList('easylist', 'block', { block: ['ads.example.org', 'tracker.example.org'], allow: ['good.ads.example.org'] }),
  ]).blob,
);

function profile(overrides: Partial<FilterProfile> = {}): FilterProfile {
  return {
    id: 'p',
    name: 'test',
    ageBand: 'custom',
    mode: 'filtered',
    blockedCategories: ['gambling', 'adult'],
    allowCategories: [lessonPlatformsCategory],
    extraBlock: [],
    extraAllow: [],
    safeSearch: true,
    youtube: 'strict',
    blockResponse: 'null-ip',
    ...overrides,
  };
}

function verdict(policy: CompiledPolicy, name: string): Verdict {
  return decide(policy, policy.match(name));
}

describe('compiled policy, filtered mode', () => {
  const policy = compilePolicy(matcher, profile({ blockedCategories: ['gambling', 'adult', 'chat', 'easylist'], extraBlock: ['YouTube.com'], extraAllow: ['chat.example.com'] }));

  it('blocks names (and subdomains) in blocked categories and passes the rest', () => {
    expect(verdict(policy, 'casino.example.com')).toBe('block');
    expect(verdict(policy, 'WWW.Casino.Example.COM.')).toBe('block');
    expect(verdict(policy, 'social.example.com')).toBe('pass');
    expect(verdict(policy, 'unlisted.example.com')).toBe('pass');
  });

  it('lets an allow category win over a block category for the same name and below it', () => {
    expect(verdict(policy, 'teams.microsoft.com')).toBe('allow');
    expect(verdict(policy, 'eu.teams.microsoft.com')).toBe('allow');
  });

  it('never lets a broader allow entry open a more specific block entry', () => {
    const nested = DomainMatcher.load(
      compileLists([
        { category: lessonPlatformsCategory, kind: 'allow', names: ['platform.example.com', 'inner.games.example.net'] },
        { category: 'games', names: ['play.platform.example.com', 'games.example.net'] },
        { category: 'stalkerware', names: ['spy.apps.platform.example.com'] },
      ]).blob,
    );
    const thcs = compilePolicy(nested, profile({ blockedCategories: ['games', 'stalkerware'] }));
    expect(verdict(thcs, 'platform.example.com')).toBe('allow');
    expect(verdict(thcs, 'apps.platform.example.com')).toBe('allow');
    expect(verdict(thcs, 'play.platform.example.com')).toBe('block');
    expect(verdict(thcs, 'www.play.platform.example.com')).toBe('block');
    expect(verdict(thcs, 'spy.apps.platform.example.com')).toBe('block');
    expect(thcs.blockingCategory(thcs.match('x.spy.apps.platform.example.com'))).toBe('stalkerware');
    // ...and a more specific allow still opens a name under a blocked parent.
    expect(verdict(thcs, 'games.example.net')).toBe('block');
    expect(verdict(thcs, 'inner.games.example.net')).toBe('allow');
  });

  it('never lets a shipped allow list open an always-blocked category; only a typed entry can', () => {
    const both = DomainMatcher.load(
      compileLists([
        { category: lessonPlatformsCategory, kind: 'allow', names: ['docs.example.com', 'proxy.example.org'] },
        { category: 'redirector', names: ['docs.example.com'] },
        { category: 'adult', names: ['example.org'] },
      ]).blob,
    );
    const shipped = compilePolicy(both, profile({ blockedCategories: ['redirector', 'adult'] }));
    expect(verdict(shipped, 'docs.example.com')).toBe('block');
    expect(shipped.blockingCategory(shipped.match('docs.example.com'))).toBe('redirector');
    expect(verdict(shipped, 'proxy.example.org')).toBe('block');
    const typed = compilePolicy(both, profile({ blockedCategories: ['redirector', 'adult'], extraAllow: ['docs.example.com', 'example.org'] }));
    expect(verdict(typed, 'docs.example.com')).toBe('allow');
    expect(verdict(typed, 'proxy.example.org')).toBe('allow');
  });

  it('never lets an allow list named like an exception category open adult names (the Tiểu học preset with UT1 adult)', () => {
    const compiled = compileLists([
      { category: 'adult', names: ['xxx.example.net', 'porn.example.org'] },
      // A plain allow list IT staff filed as "adult-allow": before, it passed for adult's own @@ exceptions.
      { category: 'adult-allow', kind: 'allow', names: ['xxx.example.net', 'porn.example.org'] },
    ]);
    expect(compiled.stats.problems).toEqual([expect.objectContaining({ kind: 'reserved-category-name', category: 'adult-allow', names: 2, messageKey: 'filtering.compile.reserved-category-name' })]);
    const lists = DomainMatcher.load(compiled.blob);
    expect(lists.categoryIndex('adult-allow')).toBe(-1);
    const tieuHoc = compilePolicy(lists, presetProfile('tieu-hoc'));
    expect(verdict(tieuHoc, 'xxx.example.net')).toBe('block');
    expect(verdict(tieuHoc, 'www.porn.example.org')).toBe('block');
    // Named by a profile, a reserved name opens nothing either.
    const naming = compilePolicy(lists, { ...presetProfile('tieu-hoc'), allowCategories: [lessonPlatformsCategory, 'adult-allow'] });
    expect(verdict(naming, 'xxx.example.net')).toBe('block');
  });

  it('never lets a second list filed under adult lift UT1’s adult entries with its @@ rules', () => {
    const compiled = compileLists([
      { category: 'adult', names: ['xxx.example.net'] },
      ...sourcesOfList('adult', 'block', { block: ['other.example.com'], allow: ['xxx.example.net', 'other.example.com'] }),
    ]);
    expect(compiled.stats.problems).toEqual([expect.objectContaining({ kind: 'exceptions-always-blocked', category: 'adult', names: 2 })]);
    const tieuHoc = compilePolicy(DomainMatcher.load(compiled.blob), presetProfile('tieu-hoc'));
    expect(verdict(tieuHoc, 'xxx.example.net')).toBe('block');
    expect(verdict(tieuHoc, 'other.example.com')).toBe('block');
    // Only IT staff typing the name into the profile opens it.
    expect(verdict(compilePolicy(DomainMatcher.load(compiled.blob), { ...presetProfile('tieu-hoc'), extraAllow: ['xxx.example.net'] }), 'xxx.example.net')).toBe('allow');
  });

  it('never lets an always-blocked category be lifted by a list’s exceptions, even in a blob that carries them', () => {
    // What an older console compiled for a list under adult with @@ rules: an allow category
    // "adult-allow". Made here by renaming a category in the bytes (same length) and re-sealing.
    const blob = compileLists([
      { category: 'adult', names: ['xxx.example.net'] },
      { category: 'adultxallow', kind: 'allow', names: ['xxx.example.net'] },
    ]).blob;
    const at = Buffer.from(blob).indexOf('adultxallow');
    blob.set(new TextEncoder().encode('adult-allow'), at);
    new DataView(blob.buffer, blob.byteOffset).setUint32(headerOffsets.checksum, crc32(blob.subarray(checksumStart)), true);
    const older = DomainMatcher.load(blob);
    expect(older.categoryKinds[older.categoryIndex('adult-allow')]).toBe('allow');
    expect(verdict(compilePolicy(older, presetProfile('thpt')), 'xxx.example.net')).toBe('block');
    expect(verdict(compilePolicy(older, presetProfile('thpt')), 'www.xxx.example.net')).toBe('block');
  });

  it('keeps a list’s @@ exceptions to its own entries: a list sharing its category loses them, and says so', () => {
    const compiled = compileLists([
      ...sourcesOfList('ads', 'block', { block: ['ads.example.com'], allow: ['ok.ads.example.com'] }),
      { category: 'ads', names: ['ok.ads.example.com'] },
      ...sourcesOfList('trackers', 'block', { block: ['t.example.com'], allow: ['ok.t.example.com'] }),
    ]);
    expect(compiled.stats.problems).toEqual([expect.objectContaining({ kind: 'exceptions-shared-category', category: 'ads', names: 1 })]);
    const lists = DomainMatcher.load(compiled.blob);
    expect(lists.categoryNames).toEqual(['ads', 'trackers', 'trackers-allow']);
    const policy = compilePolicy(lists, profile({ blockedCategories: ['ads', 'trackers'] }));
    // The second "ads" list blocks ok.ads.example.com itself: the first list's exception may not lift it.
    expect(verdict(policy, 'ok.ads.example.com')).toBe('block');
    expect(verdict(policy, 'ok.t.example.com')).toBe('pass');
    expect(verdict(policy, 'x.t.example.com')).toBe('block');
  });

  it('lets a typed block stand against any shipped allow entry, and a typed allow lift it', () => {
    const typed = compilePolicy(matcher, profile({ extraBlock: ['microsoft.com', 'olm.vn'] }));
    expect(verdict(typed, 'teams.microsoft.com')).toBe('block');
    expect(typed.blockingCategory(typed.match('teams.microsoft.com'))).toBe('custom-block');
    expect(verdict(typed, 'olm.vn')).toBe('block');
    const lifted = compilePolicy(matcher, profile({ extraBlock: ['microsoft.com'], extraAllow: ['teams.microsoft.com'] }));
    expect(verdict(lifted, 'teams.microsoft.com')).toBe('allow');
    expect(verdict(lifted, 'www.microsoft.com')).toBe('block');
  });

  it('applies the profile’s extra lists above every category', () => {
    expect(verdict(policy, 'm.youtube.com')).toBe('block');
    expect(policy.blockingCategory(policy.match('m.youtube.com'))).toBe('custom-block');
    expect(verdict(policy, 'chat.example.com')).toBe('allow');
  });

  it('honours a list’s own @@ exceptions only against that list', () => {
    expect(verdict(policy, 'ads.example.org')).toBe('block');
    // The exception lifts this list's block; it is not an allow entry, so the name simply passes.
    expect(verdict(policy, 'x.good.ads.example.org')).toBe('pass');
    // An exception in easylist does not lift a block that comes from another list.
    const both = DomainMatcher.load(
      compileLists([
        ...sourcesOfList('easylist', 'block', { block: [], allow: ['casino.example.com'] }),
        { category: 'gambling', names: ['casino.example.com'] },
      ]).blob,
    );
    expect(verdict(compilePolicy(both, profile({ blockedCategories: ['easylist', 'gambling'] })), 'casino.example.com')).toBe('block');
  });

  it('reports the category that blocked a name', () => {
    expect(policy.blockingCategory(policy.match('bet.vn'))).toBe('gambling');
    expect(policy.blockingCategory(policy.match('olm.vn'))).toBeNull();
  });

  it('says which named categories are not in the compiled lists yet', () => {
    const missing = compilePolicy(matcher, presetProfile('thcs')).missingCategories;
    expect(missing).toContain('malware');
    expect(missing).not.toContain('gambling');
  });

  it('lists extra entries that cannot be filtered by name', () => {
    const odd = compilePolicy(matcher, profile({ extraBlock: ['*.bad.com', 'ok.example.com', '10.0.0.1'] }));
    expect(odd.rejectedExtras).toEqual([
      { name: '*.bad.com', problem: 'wildcard' },
      { name: '10.0.0.1', problem: 'ip-address' },
    ]);
    expect(verdict(odd, 'ok.example.com')).toBe('block');
  });

  it('only decides views from its own match()', () => {
    const other = compilePolicy(matcher, profile());
    expect(() => decide(policy, other.match('bet.vn'))).toThrow();
  });

  it('keeps its verdict when another policy on the same lists looks a name up in between', () => {
    const other = compilePolicy(matcher, profile({ blockedCategories: [] }));
    const view = policy.match('casino.example.com');
    other.match('olm.vn');
    expect(decide(policy, view)).toBe('block');
    expect(policy.blockingCategory(view)).toBe('gambling');
  });
});

describe('compiled policy against the rules written out slowly (reference-policy.ts)', () => {
  const blockCategories = ['gambling', 'games', 'adult', 'redirector', 'easylist'];
  const allowCategories = [lessonPlatformsCategory, 'child'];
  // Names only lists' exceptions may carry: a profile naming one, or a list filed under one, opens nothing.
  const reservedNames = ['easylist-allow', 'games-allow', 'adult-allow'];
  const everyCategory = [...blockCategories, ...allowCategories, ...reservedNames, 'never-compiled'];
  const listedName = fc.oneof(relatedName, relatedName, relatedName, domainName);
  const names = fc.uniqueArray(listedName, { maxLength: 12 });
  const fewNames = fc.uniqueArray(listedName, { maxLength: 4 });
  /** Lists that try to open what they should not: a second list in a category, with its own @@ rules; an allow list under a reserved name. */
  const intruder: fc.Arbitrary<ReferenceSource> = fc.oneof(
    fc.record({ category: fc.constantFrom('easylist', 'adult', 'games', 'gambling'), kind: fc.constant('block' as const), names: fewNames, exceptions: fewNames }),
    fc.record({ category: fc.constantFrom(...reservedNames), kind: fc.constantFrom('allow' as const, 'block' as const), names: fewNames }),
  );
  const sourcesArbitrary: fc.Arbitrary<ReferenceSource[]> = fc
    .record({
      blocks: fc.tuple(...blockCategories.map(() => names)),
      allows: fc.tuple(...allowCategories.map(() => names)),
      exceptions: fc.tuple(names, names),
      intruders: fc.array(intruder, { maxLength: 2 }),
    })
    .map(({ blocks, allows, exceptions, intruders }) => [
      ...blockCategories.flatMap((category, i) =>
        category === 'easylist' || category === 'games'
          ? sourcesOfList(category, 'block', { block: blocks[i]!, allow: exceptions[category === 'easylist' ? 0 : 1]! })
          : [{ category, kind: 'block' as const, names: blocks[i]! }],
      ),
      ...allowCategories.map((category, i) => ({ category, kind: 'allow' as const, names: allows[i]! })),
      ...intruders,
    ]);
  const typedName = fc.oneof(relatedName, relatedName.map((name) => name.toUpperCase() + '.'), fc.constant('*.bad.example'));
  const rules = fc.record({
    mode: fc.constantFrom('filtered' as const, 'allowlist-only' as const),
    blockedCategories: fc.subarray(everyCategory),
    allowCategories: fc.subarray(everyCategory, { maxLength: 3 }),
    extraBlock: fc.array(typedName, { maxLength: 3 }),
    extraAllow: fc.array(typedName, { maxLength: 3 }),
  });
  const profileArbitrary = fc
    .tuple(rules, fc.array(rules, { maxLength: 2 }))
    .map(([own, floors]) => profile({ ...own, ...(floors.length > 0 ? { floors } : {}) }));
  const query = fc.oneof(
    relatedName,
    fc.tuple(fc.constantFrom('deep', 'www', 'a'), relatedName).map(([sub, name]) => `${sub}.${name}`),
    relatedName.map((name) => name.toUpperCase() + '.'),
    domainName,
  );

  it('gives the same verdict as the reference for any lists, profile, floors and name', () => {
    fc.assert(
      fc.property(sourcesArbitrary, fc.array(profileArbitrary, { minLength: 1, maxLength: 3 }), fc.array(query, { minLength: 1, maxLength: 25 }), (sources, profiles, queries) => {
        const compiled = DomainMatcher.load(compileLists(sources).blob);
        for (const p of profiles) {
          const policy = compilePolicy(compiled, p);
          for (const q of queries) {
            const view = policy.match(q);
            expect(decide(policy, view), `${q} under ${JSON.stringify(p)}`).toBe(referenceVerdict(sources, p, q));
            expect(policy.blockingCategory(view) !== null).toBe(view.verdict === 'block');
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never opens a name of an always-blocked category through any list, whatever lists sit beside it; only a typed allow does', () => {
    const always = fc.constantFrom('adult', 'gambling', 'malware', 'doh', 'redirector');
    fc.assert(
      fc.property(
        always,
        fc.uniqueArray(relatedName, { minLength: 1, maxLength: 6 }),
        fc.array(intruder, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('www', 'a', 'deep.x'),
        (category, listed, intruders, sub) => {
          // Intruders aimed at this category: its exception name, a second list in it with @@ rules.
          const aimed = intruders.map((i) => ({ ...i, category: reservedNames.includes(i.category) ? `${category}-allow` : category, names: [...i.names, ...listed.slice(0, 2)], ...(i.exceptions ? { exceptions: [...i.exceptions, ...listed] } : {}) }));
          const lists = DomainMatcher.load(compileLists([{ category, names: listed }, { category: lessonPlatformsCategory, kind: 'allow', names: listed }, ...aimed]).blob);
          for (const band of ['tieu-hoc', 'thcs', 'thpt'] as const) {
            const preset = presetProfile(band);
            const openEverything = compilePolicy(lists, { ...preset, allowCategories: [lessonPlatformsCategory, `${category}-allow`, ...reservedNames] });
            for (const name of listed) {
              expect(verdict(openEverything, name), `${name} (${category}) in ${band}`).toBe('block');
              expect(verdict(openEverything, `${sub}.${name}`)).toBe('block');
            }
            const typed = compilePolicy(lists, { ...preset, extraAllow: [listed[0]!] });
            expect(verdict(typed, listed[0]!)).not.toBe('block');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lets an allow entry win over a block entry for the same name (a typed allow even over always-blocked ones)', () => {
    fc.assert(
      fc.property(relatedName, fc.constantFrom('games', 'social_networks', 'easylist'), fc.array(fc.constantFrom('www', 'a', 'x'), { maxLength: 2 }), (name, category, below) => {
        const lists = DomainMatcher.load(
          compileLists([
            { category, names: [name] },
            { category: lessonPlatformsCategory, kind: 'allow', names: [name] },
            { category: 'adult', names: [name] },
          ]).blob,
        );
        const query = [...below, name].join('.');
        const listsOnly = compilePolicy(lists, profile({ blockedCategories: [category] }));
        expect(verdict(listsOnly, query)).toBe('allow');
        const withAdult = compilePolicy(lists, profile({ blockedCategories: [category, 'adult'] }));
        expect(verdict(withAdult, query)).toBe('block');
        const typed = compilePolicy(lists, profile({ blockedCategories: [category, 'adult'], extraAllow: [name], extraBlock: [name] }));
        expect(verdict(typed, query)).toBe('allow');
      }),
    );
  });

  it('lets a block entry deeper than any allow entry win, whichever lists they come from', () => {
    fc.assert(
      fc.property(relatedName, fc.array(fc.constantFrom('www', 'a', 'x', 'deep'), { minLength: 1, maxLength: 2 }), fc.boolean(), (allowed, below, typedAllow) => {
        const blocked = [...below, allowed].join('.');
        const lists = DomainMatcher.load(
          compileLists([
            { category: 'games', names: [blocked] },
            { category: lessonPlatformsCategory, kind: 'allow', names: [allowed] },
          ]).blob,
        );
        const policy = compilePolicy(lists, profile({ blockedCategories: ['games'], extraAllow: typedAllow ? [allowed] : [] }));
        expect(verdict(policy, allowed)).toBe('allow');
        expect(verdict(policy, blocked)).toBe('block');
        expect(verdict(policy, `www.${blocked}`)).toBe('block');
      }),
    );
  });
});

describe('compiled policy, allowlist-only mode', () => {
  const policy = compilePolicy(matcher, lessonAllowlistProfile('lesson', 'Tin học 7A', ['scratch.mit.edu', 'Bộgiáodục.vn']));

  it('lets through only lesson platforms and the teacher’s extra sites', () => {
    expect(verdict(policy, 'olm.vn')).toBe('allow');
    expect(verdict(policy, 'meet.google.com')).toBe('allow');
    expect(verdict(policy, 'scratch.mit.edu')).toBe('allow');
    expect(verdict(policy, 'www.scratch.mit.edu')).toBe('allow');
    expect(verdict(policy, 'unlisted.example.com')).toBe('block');
    expect(verdict(policy, 'casino.example.com')).toBe('block');
    expect(policy.blockingCategory(policy.match('unlisted.example.com'))).toBe('allowlist-only');
  });

  it('matches IDN extras given in Unicode when the query arrives as xn--', () => {
    const asAscii = new URL('http://bộgiáodục.vn').hostname;
    expect(verdict(policy, asAscii)).toBe('allow');
  });
});

describe('presets', () => {
  it('block the always-blocked categories in every age band, and are valid profiles', () => {
    for (const band of ['tieu-hoc', 'thcs', 'thpt'] as const) {
      const preset = presetProfile(band);
      expect(filterProfileSchema.parse(preset)).toEqual(preset);
      for (const category of alwaysBlockedCategories) expect(preset.blockedCategories).toContain(category);
      expect(preset.allowCategories).toEqual([lessonPlatformsCategory]);
    }
  });

  it('get stricter with younger pupils', () => {
    const thpt = new Set(presetProfile('thpt').blockedCategories);
    const thcs = new Set(presetProfile('thcs').blockedCategories);
    const tieuHoc = new Set(presetProfile('tieu-hoc').blockedCategories);
    for (const category of thpt) expect(thcs.has(category)).toBe(true);
    for (const category of thcs) expect(tieuHoc.has(category)).toBe(true);
    for (const category of ['social_networks', 'games', 'chat']) {
      expect(thcs.has(category)).toBe(true);
      expect(thpt.has(category)).toBe(false);
    }
  });

  it('adds the always-blocked categories to a hand-made profile', () => {
    expect(withAlwaysBlocked(profile({ blockedCategories: ['games'] })).blockedCategories).toEqual(expect.arrayContaining(['games', ...alwaysBlockedCategories]));
  });
});

describe('profile schema', () => {
  it('refuses extra entries that are not domain names', () => {
    expect(filterProfileSchema.safeParse(profile({ extraBlock: ['*.x.com'] })).success).toBe(false);
    expect(filterProfileSchema.safeParse(profile({ extraAllow: ['bộgiáodục.vn'] })).success).toBe(true);
    expect(filterProfileSchema.safeParse(profile({ blockedCategories: ['Bad Category'] })).success).toBe(false);
  });
});

describe('tighten (a lesson over the lab baseline)', () => {
  it('unions blocks, lets allowlist-only win, ORs SafeSearch and takes the stricter YouTube mode', () => {
    const baseline = profile({ blockedCategories: ['gambling'], safeSearch: false, youtube: 'moderate', blockResponse: 'nxdomain' });
    const lesson = profile({ id: 'lesson', blockedCategories: ['adult'], mode: 'allowlist-only', safeSearch: true, youtube: 'off' });
    const tight = tighten(baseline, lesson);
    expect(tight).toMatchObject({ id: 'lesson', mode: 'allowlist-only', safeSearch: true, youtube: 'moderate', blockResponse: 'nxdomain' });
    expect(tight.blockedCategories).toEqual(['gambling', 'adult']);
    expect(filterProfileSchema.parse(tight)).toEqual(tight);
  });

  it('never lets a lesson’s allow entry reopen what the baseline blocks', () => {
    const baseline = profile({ blockedCategories: ['gambling'], extraBlock: ['blocked.example.com'] });
    const lesson = lessonAllowlistProfile('l', 'lesson', ['casino.example.com', 'blocked.example.com', 'scratch.mit.edu']);
    const policy = compilePolicy(matcher, tighten(baseline, lesson));
    expect(verdict(policy, 'casino.example.com')).toBe('block');
    expect(verdict(policy, 'blocked.example.com')).toBe('block');
    expect(verdict(policy, 'scratch.mit.edu')).toBe('allow');
    expect(verdict(policy, 'olm.vn')).toBe('allow');
    expect(verdict(policy, 'elsewhere.example.com')).toBe('block');
  });

  it('is never looser than either profile, for any pair of profiles and any name', () => {
    const categories = ['gambling', 'social_networks', 'chat', 'adult', 'easylist', lessonPlatformsCategory];
    const knownNames = ['casino.example.com', 'bet.vn', 'social.example.com', 'teams.microsoft.com', 'olm.vn', 'ads.example.org', 'good.ads.example.org', 'xxx.example.net'];
    const name = fc.oneof(fc.constantFrom(...knownNames), domainName, fc.tuple(label, fc.constantFrom(...knownNames)).map(([l, n]) => `${l}.${n}`));
    const profileArbitrary = fc
      .record({
        mode: fc.constantFrom('filtered' as const, 'allowlist-only' as const),
        blockedCategories: fc.subarray(categories),
        allowCategories: fc.subarray(categories),
        extraBlock: fc.subarray(knownNames, { maxLength: 2 }),
        extraAllow: fc.subarray(knownNames, { maxLength: 2 }),
      })
      .map((rules) => profile(rules));
    const strictness: Record<Verdict, number> = { pass: 0, allow: 0, block: 1 };
    fc.assert(
      fc.property(profileArbitrary, profileArbitrary, profileArbitrary, fc.array(name, { minLength: 1, maxLength: 10 }), (baseline, lesson, later, names) => {
        const a = compilePolicy(matcher, baseline);
        const b = compilePolicy(matcher, lesson);
        const c = compilePolicy(matcher, later);
        const once = compilePolicy(matcher, tighten(baseline, lesson));
        const twice = compilePolicy(matcher, tighten(tighten(baseline, lesson), later));
        for (const query of names) {
          expect(strictness[verdict(once, query)]).toBeGreaterThanOrEqual(Math.max(strictness[verdict(a, query)], strictness[verdict(b, query)]));
          expect(strictness[verdict(twice, query)]).toBeGreaterThanOrEqual(strictness[verdict(c, query)]);
          expect(strictness[verdict(twice, query)]).toBeGreaterThanOrEqual(strictness[verdict(once, query)]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
