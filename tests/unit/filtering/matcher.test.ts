// Compiler + matcher properties: subdomain coverage, no sibling leaks, folding and round trips never change an answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLists, sourcesOfList, type CompileSource } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher, hasCategory, type MatchView } from '../../../src/shared/filtering/matcher.js';
import { domainName, label, syntheticNames } from './generators.js';

const categoryPool = ['gambling', 'adult', 'games', 'social_networks', 'publicite', 'lesson-platforms', 'doh'];

/** The answer the matcher must give, computed the slow obvious way from the input lists. */
function expectedCategories(sources: readonly CompileSource[], query: string): Set<string> {
  let name = query.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  const suffixes = new Set<string>([name]);
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) suffixes.add(name.slice(i + 1));
  const result = new Set<string>();
  for (const source of sources) if (source.names.some((listed) => suffixes.has(listed))) result.add(source.category);
  return result;
}

function categoriesOf(matcher: DomainMatcher, view: MatchView): Set<string> {
  return new Set(matcher.categoryNames.filter((_, index) => hasCategory(view.categories, index)));
}

const sourcesArbitrary: fc.Arbitrary<CompileSource[]> = fc
  .uniqueArray(fc.constantFrom(...categoryPool), { minLength: 1, maxLength: 5 })
  .chain((categories) =>
    fc.tuple(...categories.map((category) => fc.array(domainName, { maxLength: 25 }).map((names) => ({ category, names: [...new Set(names)] })))),
  )
  .map((sources) => sources.map((source) => ({ ...source, kind: source.category === 'lesson-platforms' ? ('allow' as const) : ('block' as const) })));

/** Queries around the listed names: themselves, deeper subdomains, siblings, parents, strangers, odd spellings. */
function queriesFor(sources: readonly CompileSource[]): fc.Arbitrary<string[]> {
  const listed = sources.flatMap((source) => source.names);
  const around = listed.length === 0 ? domainName : fc.constantFrom(...listed);
  const query = fc.oneof(
    around,
    fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), around).map(([subs, name]) => [...subs, name].join('.')),
    fc.tuple(label, around).map(([sibling, name]) => [sibling, ...name.split('.').slice(1)].join('.')),
    around.map((name) => name.split('.').slice(1).join('.')),
    domainName,
  );
  const spelled = fc.tuple(query, fc.boolean(), fc.boolean()).map(([name, upper, dot]) => (upper ? name.toUpperCase() : name) + (dot ? '.' : ''));
  return fc.array(spelled, { minLength: 1, maxLength: 30 });
}

describe('compiled matcher', () => {
  it('answers every lookup exactly like the lists it was compiled from (round trip, folding included)', () => {
    fc.assert(
      fc.property(sourcesArbitrary.chain((sources) => fc.tuple(fc.constant(sources), queriesFor(sources))), ([sources, queries]) => {
        const matcher = DomainMatcher.load(compileLists(sources).blob);
        for (const query of queries) {
          const view = matcher.match(query);
          const expected = expectedCategories(sources, query);
          expect(categoriesOf(matcher, view)).toEqual(expected);
          expect(view.listed).toBe(expected.size > 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('matches every subdomain of a listed name, at any depth and in any case', () => {
    fc.assert(
      fc.property(domainName, fc.array(label, { minLength: 1, maxLength: 6 }), (listed, prefix) => {
        const matcher = DomainMatcher.load(compileLists([{ category: 'gambling', names: [listed] }]).blob);
        const sub = [...prefix, listed].join('.');
        expect(matcher.match(sub).listed).toBe(true);
        expect(matcher.match(sub.toUpperCase() + '.').listed).toBe(true);
        expect(matcher.match(listed).listed).toBe(true);
      }),
    );
  });

  it('does not match unlisted siblings or the parent of a listed name', () => {
    fc.assert(
      fc.property(label, label, label, (a, b, registrable) => {
        fc.pre(a !== b);
        const matcher = DomainMatcher.load(compileLists([{ category: 'games', names: [`${a}.${registrable}.com`] }]).blob);
        expect(matcher.match(`${b}.${registrable}.com`).listed).toBe(false);
        expect(matcher.match(`${registrable}.com`).listed).toBe(false);
        expect(matcher.match(`x${a}.${registrable}.com`).listed).toBe(false);
      }),
    );
  });

  it('folds children whose categories a listed parent already carries, and keeps the ones that add a category', () => {
    const sources: CompileSource[] = [
      { category: 'gambling', names: ['example.com', 'a.example.com', 'b.a.example.com', 'other.net'] },
      { category: 'publicite', names: ['ads.example.com'] },
    ];
    const { blob, stats } = compileLists(sources);
    expect(stats).toMatchObject({ uniqueNames: 5, foldedNames: 2, entries: 3, collisions: 0 });
    const matcher = DomainMatcher.load(blob);
    expect(categoriesOf(matcher, matcher.match('x.b.a.example.com'))).toEqual(new Set(['gambling']));
    expect(categoriesOf(matcher, matcher.match('ads.example.com'))).toEqual(new Set(['gambling', 'publicite']));
    expect(matcher.categoryEntryCounts).toEqual([4, 1]);
  });

  it('merges a name listed in several categories into one entry with all of them', () => {
    const { stats, blob } = compileLists([
      { category: 'games', names: ['both.example.com'] },
      { category: 'social_networks', names: ['both.example.com'] },
    ]);
    expect(stats.entries).toBe(1);
    const matcher = DomainMatcher.load(blob);
    expect(categoriesOf(matcher, matcher.match('www.both.example.com'))).toEqual(new Set(['games', 'social_networks']));
  });

  it('leaves out names that are not in normal form instead of storing something unmatchable', () => {
    const { stats, blob } = compileLists([{ category: 'games', names: ['ok.example.com', 'Bad Name.com', '*.x.com', 'UPPER.example.com'] }]);
    expect(stats.rejectedNames).toBe(3);
    const matcher = DomainMatcher.load(blob);
    expect(matcher.match('ok.example.com').listed).toBe(true);
    expect(matcher.match('upper.example.com').listed).toBe(false);
  });

  it('reuses one result object: a lookup allocates nothing new', () => {
    const matcher = DomainMatcher.load(compileLists([{ category: 'games', names: ['a.example.com'] }]).blob);
    const first = matcher.match('a.example.com');
    const second = matcher.match('b.example.com');
    expect(second).toBe(first);
    expect(second.listed).toBe(false);
  });

  it('handles empty lists, the root name and absurd input without throwing', () => {
    const empty = DomainMatcher.load(compileLists([]).blob);
    expect(empty.match('example.com').listed).toBe(false);
    expect(empty.categoryNames).toEqual([]);
    const matcher = DomainMatcher.load(compileLists([{ category: 'games', names: ['example.com'] }]).blob);
    for (const odd of ['', '.', '..', 'example.com..', 'x'.repeat(300), '\u00e9xample.com', 'a..example.com']) {
      expect(() => matcher.match(odd)).not.toThrow();
    }
    expect(matcher.match('a..example.com').listed).toBe(true);
  });

  it('carries category names, kinds, entry counts, build time and a checksum', () => {
    const compiled = compileLists(
      [
        ...sourcesOfList('easylist', 'block', { block: ['ads.example.com'], allow: ['good.example.com'] }),
        { category: 'lesson-platforms', kind: 'allow', names: ['olm.vn'] },
      ],
      { builtAtSeconds: 1_790_000_000 },
    );
    const matcher = DomainMatcher.load(compiled.blob);
    expect(matcher.categoryNames).toEqual(['easylist', 'easylist-allow', 'lesson-platforms']);
    expect(matcher.categoryKinds).toEqual(['block', 'allow', 'allow']);
    expect(matcher.categoryIndex('lesson-platforms')).toBe(2);
    expect(matcher.categoryIndex('nope')).toBe(-1);
    expect(matcher.builtAtSeconds).toBe(1_790_000_000);
    expect(matcher.checksum).toBeGreaterThan(0);
    expect(matcher.byteLength).toBe(compiled.blob.length);
  });

  it('refuses inconsistent input: one category cannot be both block and allow', () => {
    expect(() =>
      compileLists([
        { category: 'games', names: [] },
        { category: 'games', kind: 'allow', names: [] },
      ]),
    ).toThrow(RangeError);
    expect(() => compileLists([{ category: 'Bad Category', names: [] }])).toThrow(RangeError);
  });

  it('stays exact on a large generated list with many categories (wide bitsets, 32-bit set indices not needed)', () => {
    const names = syntheticNames(60_000, 7);
    const sources: CompileSource[] = [];
    for (let c = 0; c < 70; c++) sources.push({ category: `cat${c}`, names: names.filter((_, i) => i % 70 === c || i % 97 === c) });
    const compiled = compileLists(sources);
    expect(compiled.stats.collisions).toBe(0);
    const matcher = DomainMatcher.load(compiled.blob);
    expect(matcher.setWords).toBe(3);
    for (let i = 0; i < names.length; i += 611) {
      const query = `www.${names[i]!}`;
      expect(categoriesOf(matcher, matcher.match(query))).toEqual(expectedCategories(sources, query));
      expect(matcher.match(`nothere-${i}.example.invalid`).listed).toBe(false);
    }
  });
});
