// The answer cache of forwarded lookups: the asker's id and letter case, TTLs aged, expiry, least
// recently used out first, both bounds (entries and bytes), answers too large for a slot, keys it
// must not confuse, and what it refuses to keep.
import { describe, expect, it } from 'vitest';
import { AnswerCache, cacheKey, maxCacheBytes, maxCachedAnswers, maxCachedAnswerBytes } from '../../../src/agent/dns/cache.js';
import { buildQuery, decodeMessage, encodeResponse, rdata, readId, Rcode } from '../../../src/agent/dns/wire.js';

function answerFor(name: string, ttl = 300, ip = '10.0.0.1', extraRecords = 0): Buffer {
  const answers = [{ name, type: 1, ttl, rdata: rdata.a(ip) }];
  for (let i = 0; i < extraRecords; i++) answers.push({ name, type: 1, ttl, rdata: rdata.a(`10.1.${(i >> 8) & 0xff}.${i & 0xff}`) });
  return encodeResponse({ id: 7, question: { name, type: 1 }, answers });
}

/** A cache whose clock the test moves. */
function cacheAt(start = 1_000_000) {
  const clock = { now: start };
  return { cache: new AnswerCache(() => clock.now), clock };
}

const key = (name: string): string => cacheKey(name, 1, 1, 0);

function lookup(cache: AnswerCache, name: string, id = 42, asked = name): Buffer | null {
  const query = buildQuery(asked, 1, id, false);
  return cache.get(key(name), id, query, query.length);
}

describe('answer cache', () => {
  it('answers a cached name with the asker’s id and letter case, and counts hits and misses', () => {
    const { cache } = cacheAt();
    expect(lookup(cache, 'k12online.vn')).toBeNull();
    cache.put(key('k12online.vn'), answerFor('k12online.vn'));
    const hit = lookup(cache, 'k12online.vn', 4242, 'K12Online.VN')!;
    expect(readId(hit)).toBe(4242);
    // The question goes back byte for byte as asked (letter case is part of some resolvers' defence).
    const asked = buildQuery('K12Online.VN', 1, 4242, false);
    expect(hit.subarray(12, asked.length).equals(asked.subarray(12))).toBe(true);
    expect(decodeMessage(hit).answers[0]!.ttl).toBe(300);
    expect([cache.hits, cache.misses, cache.size]).toEqual([1, 1, 1]);
  });

  it('lowers TTLs by the time an answer spent in the cache, and forgets it once they run out', () => {
    const { cache, clock } = cacheAt();
    cache.put(key('olm.vn'), answerFor('olm.vn', 60));
    clock.now += 25_400;
    expect(decodeMessage(lookup(cache, 'olm.vn')!).answers[0]!.ttl).toBe(35);
    clock.now += 35_000;
    expect(lookup(cache, 'olm.vn')).toBeNull();
    expect(cache.size).toBe(0);
    expect(cache.sizeBytes).toBe(0);
  });

  it('keeps a negative answer at most five minutes and nothing it may not cache', () => {
    const { cache, clock } = cacheAt();
    const nx = encodeResponse({ id: 1, rcode: Rcode.nxDomain, question: { name: 'nothing.example', type: 1 }, authorities: [{ name: 'example', type: 6, ttl: 86_400, rdata: Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(20, 0xff)]) }] });
    cache.put(key('nothing.example'), nx);
    expect(lookup(cache, 'nothing.example')).not.toBeNull();
    clock.now += 299_000;
    expect(lookup(cache, 'nothing.example')).not.toBeNull();
    clock.now += 1_000;
    expect(lookup(cache, 'nothing.example')).toBeNull();
    // TTL 0, SERVFAIL and an answer larger than the limit are not kept.
    cache.put(key('zero.example'), answerFor('zero.example', 0));
    cache.put(key('fail.example'), encodeResponse({ id: 1, rcode: Rcode.servFail, question: { name: 'fail.example', type: 1 } }));
    cache.put(key('huge.example'), answerFor('huge.example', 300, '10.0.0.1', Math.ceil(maxCachedAnswerBytes / 16)));
    expect(cache.size).toBe(0);
  });

  it('replaces the answer for a key it already holds', () => {
    const { cache } = cacheAt();
    cache.put(key('azota.vn'), answerFor('azota.vn', 300, '10.0.0.1'));
    cache.put(key('azota.vn'), answerFor('azota.vn', 300, '10.0.0.2'));
    expect(cache.size).toBe(1);
    expect(decodeMessage(lookup(cache, 'azota.vn')!).answers[0]!.data).toBe('10.0.0.2');
  });

  it('keeps answers too large for one slot intact', () => {
    const { cache } = cacheAt();
    const big = answerFor('big.example', 300, '10.0.0.1', 120); // ≈ 2 KB, more than one slot's room
    expect(big.length).toBeGreaterThan(maxCacheBytes / maxCachedAnswers);
    cache.put(key('big.example'), big);
    const { cache: big2, clock } = cacheAt();
    const hit = lookup(cache, 'big.example', 7)!;
    expect(hit.equals(big)).toBe(true);
    expect(cache.sizeBytes).toBe(big.length);
    // More records than the TTL positions kept per answer: every one of them still ages.
    big2.put(key('big.example'), big);
    clock.now += 100_000;
    expect(decodeMessage(lookup(big2, 'big.example')!).answers.map((a) => a.ttl)).toEqual(new Array(121).fill(200));
  });

  it('lets the least recently used answer go first when full, and never holds more than its bounds', () => {
    const { cache } = cacheAt();
    for (let i = 0; i < maxCachedAnswers; i++) cache.put(key(`n${i}.example`), answerFor(`n${i}.example`));
    expect(cache.size).toBe(maxCachedAnswers);
    expect(lookup(cache, 'n0.example')).not.toBeNull(); // n0 is now the most recently used
    cache.put(key('one-more.example'), answerFor('one-more.example'));
    expect(cache.size).toBe(maxCachedAnswers);
    expect(lookup(cache, 'n1.example')).toBeNull(); // the oldest untouched one went
    expect(lookup(cache, 'n0.example')).not.toBeNull();
    expect(lookup(cache, 'one-more.example')).not.toBeNull();
    // Three more rounds of new names through the index: every survivor is still found, none is confused.
    for (let i = 0; i < 3 * maxCachedAnswers; i++) cache.put(key(`m${i}.example`), answerFor(`m${i}.example`, 300, `10.2.${(i >> 8) & 0xff}.${i & 0xff}`));
    expect(cache.size).toBe(maxCachedAnswers);
    for (let i = 2 * maxCachedAnswers; i < 3 * maxCachedAnswers; i += 97) {
      const hit = lookup(cache, `m${i}.example`)!;
      expect(decodeMessage(hit).answers[0]!.data).toBe(`10.2.${(i >> 8) & 0xff}.${i & 0xff}`);
    }
    expect(lookup(cache, 'm0.example')).toBeNull();
  });

  it('holds no more bytes than its byte bound with large answers', () => {
    const { cache } = cacheAt();
    const big = (i: number): Buffer => answerFor(`big${i}.example`, 300, '10.0.0.1', 100);
    expect(big(0).length).toBeLessThanOrEqual(maxCachedAnswerBytes);
    const n = Math.ceil(maxCacheBytes / big(0).length) + 50;
    for (let i = 0; i < n; i++) cache.put(key(`big${i}.example`), big(i));
    expect(cache.sizeBytes).toBeLessThanOrEqual(maxCacheBytes);
    expect(lookup(cache, `big${n - 1}.example`, 7)!.equals(big(n - 1))).toBe(true);
    expect(lookup(cache, 'big0.example')).toBeNull();
  });

  it('tells apart keys that differ only in type, variant or a character, and empties on clear', () => {
    const { cache } = cacheAt();
    const query = buildQuery('hoc.vn', 1, 1, false);
    cache.put(cacheKey('hoc.vn', 1, 1, 0), answerFor('hoc.vn', 300, '10.0.0.1'));
    expect(cache.get(cacheKey('hoc.vn', 28, 1, 0), 1, query, query.length)).toBeNull();
    expect(cache.get(cacheKey('hoc.vn', 1, 1, 1), 1, query, query.length)).toBeNull();
    expect(lookup(cache, 'hoc.vm')).toBeNull();
    expect(lookup(cache, 'hoc.vn')).not.toBeNull();
    // A key with a character outside Latin-1 is simply not cached.
    cache.put(cacheKey('học.vn', 1, 1, 0), answerFor('hoc.vn'));
    expect(cache.size).toBe(1);
    cache.clear();
    expect([cache.size, cache.sizeBytes]).toEqual([0, 0]);
    expect(lookup(cache, 'hoc.vn')).toBeNull();
    cache.put(key('hoc.vn'), answerFor('hoc.vn'));
    expect(lookup(cache, 'hoc.vn')).not.toBeNull();
  });
});
