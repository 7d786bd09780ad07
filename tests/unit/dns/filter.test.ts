// The filter's decision for each question, with a real compiled list and real profiles: bypass
// names, blocks (null-ip / NXDOMAIN), allowlist-only lessons, SafeSearch, and the bounded queue of
// blocked attempts for the console.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DnsFilter, blockedAttemptRepeatWindowMs, maxQueuedBlockedAttempts } from '../../../src/agent/dns/filter.js';
import { Forwarder, Upstream } from '../../../src/agent/dns/upstream.js';
import { RecordType, Rcode, buildQuery, decodeMessage } from '../../../src/agent/dns/wire.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { compilePolicy, type CompiledPolicy } from '../../../src/shared/filtering/policy.js';
import { compileTestList, lessonProfile, schoolProfile } from './lists.js';

const matcher = DomainMatcher.load(compileTestList());
let policy: CompiledPolicy | null;
let now: number;
let pendingCalls: number;
let filter: DnsFilter;
let forwarder: Forwarder;

beforeEach(() => {
  policy = compilePolicy(matcher, schoolProfile());
  now = 1_800_000_000_000;
  pendingCalls = 0;
  // No upstream: whatever is forwarded fails fast with SERVFAIL, which tells the paths apart.
  forwarder = new Forwarder(new Upstream([]));
  filter = new DnsFilter({ rules: { get policy() { return policy; } }, forwarder, now: () => now, onBlockedAttempt: () => pendingCalls++ });
});

afterEach(() => forwarder.close());

/** The answer when it was made locally (synchronously); throws when the query went upstream. */
function local(name: string, qtype: number = RecordType.A) {
  const result = filter.answer(buildQuery(name, qtype, 42), 'udp');
  if (result === null || result instanceof Promise) throw new Error(`${name} was not answered locally`);
  return decodeMessage(result);
}

function wentUpstream(name: string, qtype: number = RecordType.A): boolean {
  return filter.answer(buildQuery(name, qtype, 42), 'udp') instanceof Promise;
}

describe('blocking', () => {
  it('answers blocked names and their subdomains with 0.0.0.0 / :: / NODATA', () => {
    expect(local('porn.test').answers).toMatchObject([{ type: RecordType.A, data: '0.0.0.0', ttl: 10 }]);
    expect(local('www.porn.test', RecordType.AAAA).answers).toMatchObject([{ type: RecordType.AAAA, data: '::' }]);
    const https = local('porn.test', RecordType.HTTPS);
    expect(https.rcode).toBe(Rcode.noError);
    expect(https.answers).toEqual([]);
    expect(local('games.test').answers[0]?.data).toBe('0.0.0.0');
  });

  it('blocks whatever the letter case, trailing dot, punycode or depth', () => {
    for (const name of ['PORN.TEST', 'Porn.Test.', 'XN--BCHER-KVA.test', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.casino.test', 'DNS.google']) {
      expect(local(name).answers[0]?.data, name).toBe('0.0.0.0');
    }
    expect(wentUpstream('notporn.test')).toBe(true);
    expect(wentUpstream('porn.test.example')).toBe(true);
  });

  it('answers NXDOMAIN for every type when the profile says so', () => {
    policy = compilePolicy(matcher, schoolProfile({ blockResponse: 'nxdomain' }));
    expect(local('casino.test').rcode).toBe(Rcode.nxDomain);
    expect(local('casino.test', RecordType.TXT).rcode).toBe(Rcode.nxDomain);
  });

  it('lets an allow category win over a block entry, and forwards names nobody lists', async () => {
    expect(wentUpstream('olm.vn')).toBe(true);
    const reply = await filter.answer(buildQuery('unlisted.test', RecordType.A, 9), 'udp');
    expect(decodeMessage(reply!)).toMatchObject({ id: 9, rcode: Rcode.servFail });
    expect(filter.stats()).toMatchObject({ forwarded: 2, upstreamFailures: 2 });
  });
});

describe('bypass defence', () => {
  it('answers the DoH canary and Private Relay with NXDOMAIN and DDR with no records, even before any profile', () => {
    for (const p of [compilePolicy(matcher, schoolProfile()), null]) {
      policy = p;
      expect(local('use-application-dns.net').rcode).toBe(Rcode.nxDomain);
      expect(local('Mask.iCloud.com', RecordType.AAAA).rcode).toBe(Rcode.nxDomain);
      expect(local('mask-h2.icloud.com', RecordType.HTTPS).rcode).toBe(Rcode.nxDomain);
      const ddr = local('_dns.resolver.arpa', RecordType.SVCB);
      expect(ddr.rcode).toBe(Rcode.noError);
      expect(ddr.answers).toEqual([]);
    }
  });
});

describe('allowlist-only lessons', () => {
  it('blocks everything not allowed, reporting it as allowlist-only, and forwards the lesson sites', () => {
    policy = compilePolicy(matcher, lessonProfile());
    expect(local('news.example').answers[0]?.data).toBe('0.0.0.0');
    expect(wentUpstream('lesson-site.test')).toBe(true);
    expect(wentUpstream('www.olm.vn')).toBe(true);
    expect(filter.drainBlockedAttempts()).toEqual([{ time: now, name: 'news.example', category: 'allowlist-only' }]);
  });

  it('blocks a search engine that is not on the allowlist instead of rewriting it to SafeSearch', () => {
    policy = compilePolicy(matcher, lessonProfile());
    expect(local('www.google.com').answers[0]?.data).toBe('0.0.0.0');
    expect(filter.stats().rewritten).toBe(0);
  });
});

describe('SafeSearch', () => {
  it('rewrites A, AAAA and HTTPS questions for search engines and YouTube, and only those types', async () => {
    for (const qtype of [RecordType.A, RecordType.AAAA, RecordType.HTTPS]) expect(wentUpstream('www.google.com.vn', qtype)).toBe(true);
    expect(wentUpstream('www.youtube.com')).toBe(true);
    expect(filter.stats().rewritten).toBe(4);
    expect(wentUpstream('www.google.com', RecordType.TXT)).toBe(true);
    expect(filter.stats()).toMatchObject({ rewritten: 4, forwarded: 1 });
  });

  it('leaves search engines alone when the profile has SafeSearch and YouTube off', () => {
    policy = compilePolicy(matcher, schoolProfile({ safeSearch: false, youtube: 'off' }));
    wentUpstream('www.google.com');
    wentUpstream('www.youtube.com');
    expect(filter.stats()).toMatchObject({ rewritten: 0, forwarded: 2 });
  });
});

describe('the built-in floor before the first list arrives', () => {
  it('forces SafeSearch on search engines and strict YouTube for A, AAAA and HTTPS, and forwards the rest', () => {
    policy = null;
    for (const qtype of [RecordType.A, RecordType.AAAA, RecordType.HTTPS]) expect(wentUpstream('www.google.com.vn', qtype)).toBe(true);
    expect(wentUpstream('www.bing.com')).toBe(true);
    expect(wentUpstream('duckduckgo.com')).toBe(true);
    expect(wentUpstream('m.youtube.com')).toBe(true);
    expect(filter.stats()).toMatchObject({ rewritten: 6, forwarded: 0 });
    expect(wentUpstream('site.test')).toBe(true);
    expect(wentUpstream('www.google.com', RecordType.TXT)).toBe(true);
    expect(filter.stats()).toMatchObject({ rewritten: 6, forwarded: 2 });
    // Nothing is blocked by list before there is one.
    expect(wentUpstream('porn.test')).toBe(true);
    expect(filter.stats().blocked).toBe(0);
  });

  it('gives way to the profile once one arrives (here: SafeSearch off)', () => {
    policy = compilePolicy(matcher, schoolProfile({ safeSearch: false, youtube: 'off' }));
    wentUpstream('www.google.com');
    wentUpstream('m.youtube.com');
    expect(filter.stats()).toMatchObject({ rewritten: 0, forwarded: 2 });
  });
});

describe('blocked attempts for the console', () => {
  it('takes attempts saved by an earlier run back with their own times, and signals once', () => {
    filter.requeueBlockedAttempts([
      { time: 1_000, name: 'old.porn.test', category: 'adult' },
      { time: 2_000, name: 'casino.test', category: 'gambling' },
    ]);
    expect(pendingCalls).toBe(1);
    local('porn.test');
    expect(pendingCalls).toBe(1);
    expect(filter.drainBlockedAttempts()).toEqual([
      { time: 1_000, name: 'old.porn.test', category: 'adult' },
      { time: 2_000, name: 'casino.test', category: 'gambling' },
      { time: now, name: 'porn.test', category: 'adult' },
    ]);
  });

  it('records time, name and category, once per visit, and signals when the queue fills from empty', () => {
    local('porn.test');
    local('porn.test', RecordType.AAAA);
    local('porn.test', RecordType.HTTPS);
    now += 1000;
    local('casino.test');
    now += blockedAttemptRepeatWindowMs;
    local('casino.test');
    expect(pendingCalls).toBe(1);
    expect(filter.drainBlockedAttempts()).toEqual([
      { time: 1_800_000_000_000, name: 'porn.test', category: 'adult' },
      { time: 1_800_000_001_000, name: 'casino.test', category: 'gambling' },
      { time: 1_800_000_001_000 + blockedAttemptRepeatWindowMs, name: 'casino.test', category: 'gambling' },
    ]);
    expect(filter.stats().blockedAttemptsRepeated).toBe(2);
    local('games.test');
    expect(pendingCalls).toBe(2);
    expect(filter.drainBlockedAttempts()).toEqual([{ time: now, name: 'games.test', category: 'custom-block' }]);
  });

  it('keeps at most the newest attempts, counts the dropped ones, and drains in small batches', () => {
    const extra = 7;
    for (let i = 0; i < maxQueuedBlockedAttempts + extra; i++) local(`p${i}.porn.test`);
    expect(filter.queuedBlockedAttempts).toBe(maxQueuedBlockedAttempts);
    expect(filter.stats().blockedAttemptsDropped).toBe(extra);
    const first = filter.drainBlockedAttempts();
    expect(first).toHaveLength(50);
    expect(first[0]!.name).toBe(`p${extra}.porn.test`);
    expect(filter.drainBlockedAttempts(5000)).toHaveLength(maxQueuedBlockedAttempts - 50);
    expect(filter.drainBlockedAttempts()).toEqual([]);
  });
});

describe('odd queries', () => {
  it('answers FORMERR, NOTIMP and REFUSED, and drops responses', () => {
    const q = buildQuery('a.test', 1, 3);
    const response = Buffer.from(q);
    response[2] |= 0x80;
    expect(filter.answer(response, 'udp')).toBeNull();
    const notify = Buffer.from(q);
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    expect(decodeMessage(filter.answer(notify, 'udp') as Buffer).rcode).toBe(Rcode.notImp);
    const chaos = buildQuery('version.bind', RecordType.TXT, 4);
    chaos[chaos.length - 11 - 1] = 3; // class CH
    expect(decodeMessage(filter.answer(chaos, 'udp') as Buffer).rcode).toBe(Rcode.refused);
    expect(decodeMessage(filter.answer(buildQuery('zone.test', RecordType.AXFR, 5), 'tcp') as Buffer).rcode).toBe(Rcode.refused);
    const broken = Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]);
    expect(decodeMessage(filter.answer(broken, 'udp') as Buffer)).toMatchObject({ id: 7, rcode: Rcode.formErr });
  });
});
