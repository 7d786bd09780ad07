// Compiler + matcher properties: subdomain coverage, no sibling leaks, folding and round trips never change an answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLists, sourcesOfList, type CompileSource } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher, hasCategory, type MatchView } from '../../../src/shared/filtering/matcher.js';
import { domainName, label, relatedName, syntheticNames } from './generators.js';

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

/** The listed names covering `query` in the input lists, shallowest first, each with its label count and categories. */
function expectedHits(sources: readonly CompileSource[], query: string): Array<{ name: string; labels: number; categories: string[] }> {
  let name = query.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  const hits: Array<{ name: string; labels: number; categories: string[] }> = [];
  const labels = name.split('.');
  for (let count = 2; count <= labels.length; count++) {
    const suffix = labels.slice(-count).join('.');
    const categories = sources.filter((source) => source.names.includes(suffix)).map((source) => source.category);
    if (categories.length > 0) hits.push({ name: suffix, labels: count, categories: [...new Set(categories)].sort() });
  }
  return hits;
}

/** A listed name with no hit must have been folded: allow categories only, the same as its nearest listed parent. */
function expectFolded(sources: readonly CompileSource[], expected: ReturnType<typeof expectedHits>, index: number): void {
  const folded = expected[index]!;
  expect(index, `${folded.name} vanished with no listed parent`).toBeGreaterThan(0);
  expect(expected[index - 1]!.categories, `${folded.name} folded into a parent with other categories`).toEqual(folded.categories);
  for (const category of folded.categories) {
    expect(sources.find((source) => source.category === category)?.kind, `${folded.name} folded with block category ${category}`).toBe('allow');
  }
}

/** The matcher's hits for the last lookup, in the same shape. */
function actualHits(matcher: DomainMatcher, view: MatchView): Array<{ labels: number; categories: string[] }> {
  const hits: Array<{ labels: number; categories: string[] }> = [];
  for (let h = 0; h < view.hitCount; h++) {
    const set = matcher.setCategories(view.hitSets[h]!);
    hits.push({ labels: view.hitLabels[h]!, categories: matcher.categoryNames.filter((_, index) => hasCategory(set, index)).sort() });
  }
  return hits;
}

// Names from a small tree (relatedName) give parents, children and repeats across lists; random
// names (domainName) give everything else.
const listedName = fc.oneof(relatedName, relatedName, domainName);
const sourcesArbitrary: fc.Arbitrary<CompileSource[]> = fc
  .uniqueArray(fc.constantFrom(...categoryPool), { minLength: 1, maxLength: 5 })
  .chain((categories) =>
    fc.tuple(...categories.map((category) => fc.array(listedName, { maxLength: 25 }).map((names) => ({ category, names: [...new Set(names)] })))),
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

  it('reports each listed name that covers a lookup with its depth and categories; only names their nearest listed parent repeats exactly are folded away', () => {
    fc.assert(
      fc.property(sourcesArbitrary.chain((sources) => fc.tuple(fc.constant(sources), queriesFor(sources))), ([sources, queries]) => {
        const matcher = DomainMatcher.load(compileLists(sources).blob);
        for (const query of queries) {
          const expected = expectedHits(sources, query);
          const actual = actualHits(matcher, matcher.match(query));
          // Every hit is a listed name at its own depth with exactly its categories, shallowest first.
          let next = 0;
          for (const hit of actual) {
            while (next < expected.length && expected[next]!.labels < hit.labels) {
              expectFolded(sources, expected, next);
              next++;
            }
            expect(expected[next], `hit at ${hit.labels} labels for ${query} is not a listed name`).toBeDefined();
            expect(hit).toEqual({ labels: expected[next]!.labels, categories: expected[next]!.categories });
            next++;
          }
          for (; next < expected.length; next++) expectFolded(sources, expected, next);
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

  it('folds an allow-only child into a nearest listed parent with exactly its set, and keeps every child with a block category', () => {
    const sources: CompileSource[] = [
      { category: 'gambling', names: ['example.com', 'a.example.com', 'b.a.example.com', 'other.net'] },
      { category: 'publicite', names: ['ads.example.com', 'example.com'] },
      { category: 'lesson-platforms', kind: 'allow', names: ['school.vn', 'www.school.vn', 'cdn.www.school.vn', 'ads.example.com'] },
      { category: 'child', kind: 'allow', names: ['cdn.www.school.vn'] },
    ];
    const { blob, stats } = compileLists(sources);
    // Only www.school.vn folds (into school.vn). b.a.example.com [gambling] under a.example.com
    // [gambling] stays: a typed allow for a.example.com must not open it (policy.ts).
    expect(stats).toMatchObject({ uniqueNames: 8, foldedNames: 1, entries: 7, collisions: 0 });
    const matcher = DomainMatcher.load(blob);
    expect(actualHits(matcher, matcher.match('x.b.a.example.com'))).toEqual([
      { labels: 2, categories: ['gambling', 'publicite'] },
      { labels: 3, categories: ['gambling'] },
      { labels: 4, categories: ['gambling'] },
    ]);
    expect(actualHits(matcher, matcher.match('x.cdn.www.school.vn'))).toEqual([
      { labels: 2, categories: ['lesson-platforms'] },
      { labels: 4, categories: ['child', 'lesson-platforms'] },
    ]);
    expect(categoriesOf(matcher, matcher.match('ads.example.com'))).toEqual(new Set(['gambling', 'publicite', 'lesson-platforms']));
    expect(matcher.categoryEntryCounts).toEqual([4, 2, 4, 1]);
    expect(compileLists(sources, { fold: false }).stats).toMatchObject({ foldedNames: 0, entries: 8 });
  });

  it('keeps a blocked child under an allowed parent, and an allowed child under a blocked parent', () => {
    const { blob, stats } = compileLists([
      { category: 'lesson-platforms', kind: 'allow', names: ['school.example.vn', 'meet.video.example.com'] },
      { category: 'games', names: ['play.school.example.vn', 'video.example.com'] },
    ]);
    expect(stats.foldedNames).toBe(0);
    const matcher = DomainMatcher.load(blob);
    expect(actualHits(matcher, matcher.match('www.play.school.example.vn'))).toEqual([
      { labels: 3, categories: ['lesson-platforms'] },
      { labels: 4, categories: ['games'] },
    ]);
    expect(actualHits(matcher, matcher.match('meet.video.example.com'))).toEqual([
      { labels: 3, categories: ['games'] },
      { labels: 4, categories: ['lesson-platforms'] },
    ]);
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
    expect(matcher.match('.'.repeat(253)).hitCount).toBe(0);
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

  it('leaves out a source it cannot compile, says why, and compiles the rest', () => {
    const { blob, stats } = compileLists([
      { category: 'games', names: ['game.example.com'] },
      { category: 'games', kind: 'allow', names: ['allowed.example.com'] },
      { category: 'Bad Category', names: ['bad.example.com'] },
      { category: 'x'.repeat(65), names: ['long.example.com'] },
      { category: 'gambling', names: ['casino.example.com'] },
    ]);
    expect(stats.problems.every((problem) => problem.messageKey === `filtering.compile.${problem.kind}`)).toBe(true);
    expect(stats.problems.map((problem) => [problem.kind, problem.category.slice(0, 12), problem.names])).toEqual([
      ['kind-conflict', 'games', 1],
      ['bad-category-name', 'Bad Category', 1],
      ['bad-category-name', 'xxxxxxxxxxxx', 1],
    ]);
    expect(stats.inputNames).toBe(2);
    const matcher = DomainMatcher.load(blob);
    expect(matcher.categoryNames).toEqual(['games', 'gambling']);
    expect(matcher.match('game.example.com').listed).toBe(true);
    expect(matcher.match('casino.example.com').listed).toBe(true);
    expect(matcher.match('allowed.example.com').listed).toBe(false);
  });

  it('compiles a long list name with @@ exceptions: its exception category name stays valid and unique', () => {
    const long = `school-district-${'approved-'.repeat(5)}`.slice(0, 64).replace(/-$/, 'x');
    const other = long.slice(0, -1) + 'y';
    const sources = [
      ...sourcesOfList(long, 'block', { block: ['ads.example.com'], allow: ['ok.ads.example.com'] }),
      ...sourcesOfList(other, 'block', { block: ['b.example.com'], allow: ['ok.b.example.com'] }),
    ];
    const { blob, stats } = compileLists(sources);
    expect(stats.problems).toEqual([]);
    const matcher = DomainMatcher.load(blob);
    expect(matcher.categoryNames).toHaveLength(4);
    expect(new Set(matcher.categoryNames).size).toBe(4);
    for (const name of matcher.categoryNames) expect(name.length).toBeLessThanOrEqual(64);
    expect(matcher.categoryKinds).toEqual(['block', 'allow', 'block', 'allow']);
  });

  it('stays exact on a large generated list with many categories (wide bitsets)', () => {
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
