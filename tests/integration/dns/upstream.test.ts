// Forwarding to real upstream servers on loopback: random ids, spoof rejection, TCP on truncation,
// failover past a dead server, the TTL cache and single-flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forwarder, Upstream, UpstreamError } from '../../../src/agent/dns/upstream.js';
import { RecordType, buildQuery, decodeMessage } from '../../../src/agent/dns/wire.js';
import { TestUpstream, type TestZone } from './test-upstream.js';

const zone: TestZone = {
  'site.test': { A: ['10.1.2.3'], AAAA: ['2001:db8::3'], ttl: 120 },
  'big.test': { TXT: Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(120, 'x')) },
  'alias.test': { CNAME: 'site.test' },
};

const q = (name: string, qtype: number = RecordType.A) => ({ name, qtype, qclass: 1 });
const fast = { attemptTimeoutMs: 300, queryTimeoutMs: 1500, tcpTimeoutMs: 1000 };

let good: TestUpstream;
let dead: TestUpstream;
let truncating: TestUpstream;
let spoofing: TestUpstream;

beforeAll(async () => {
  [good, dead, truncating, spoofing] = await Promise.all([
    TestUpstream.start({ zone }),
    TestUpstream.start({ zone, silent: true }),
    TestUpstream.start({ zone, truncateUdp: true }),
    TestUpstream.start({ zone, spoofFirst: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([good, dead, truncating, spoofing].map((s) => s.close()));
});

describe('upstream forwarding', () => {
  it('sends each question with a fresh random id and returns the matching reply', async () => {
    const up = new Upstream([{ host: '127.0.0.1', port: good.port }], fast);
    try {
      const before = good.queries.length;
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const reply = await up.exchange(buildQuery('site.test', 1, 0x4242), q('site.test'));
        expect(decodeMessage(reply).answers[0]?.data).toBe('10.1.2.3');
      }
      for (const logged of good.queries.slice(before)) ids.add(logged.id);
      expect(ids.size).toBeGreaterThan(15);
      expect(ids.has(0x4242)).toBe(false);
    } finally {
      up.close();
    }
  });

  it('ignores a reply with the right id but another question (spoof) and takes the real one', async () => {
    const up = new Upstream([{ host: '127.0.0.1', port: spoofing.port }], fast);
    try {
      const reply = decodeMessage(await up.exchange(buildQuery('site.test', 1, 1), q('site.test')));
      expect(reply.questions[0]?.name).toBe('site.test');
      expect(reply.answers.map((a) => a.data)).toEqual(['10.1.2.3']);
    } finally {
      up.close();
    }
  });

  it('ignores replies that come from another port than the server asked', async () => {
    const offPath = await TestUpstream.start({ zone, answerFromOtherPort: true });
    const up = new Upstream([{ host: '127.0.0.1', port: offPath.port }], { attemptTimeoutMs: 300, queryTimeoutMs: 300 });
    try {
      const err = await up.exchange(buildQuery('site.test', 1, 1), q('site.test')).catch((e: unknown) => e);
      expect(offPath.queries).toHaveLength(1);
      expect(err).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).code).toBe('timeout');
    } finally {
      up.close();
      await offPath.close();
    }
  });

  it('retries over TCP when the UDP reply is truncated', async () => {
    const up = new Upstream([{ host: '127.0.0.1', port: truncating.port }], fast);
    try {
      const reply = decodeMessage(await up.exchange(buildQuery('big.test', RecordType.TXT, 1, false), q('big.test', RecordType.TXT)));
      expect(reply.truncated).toBe(false);
      expect(reply.answers).toHaveLength(12);
      expect(truncating.queries.filter((l) => l.name === 'big.test').map((l) => l.transport)).toEqual(['udp', 'tcp']);
      expect(up.tcpRetries).toBe(1);
    } finally {
      up.close();
    }
  });

  it('fails over past a dead server and then asks the healthy one first', async () => {
    const up = new Upstream(
      [
        { host: '127.0.0.1', port: dead.port },
        { host: '127.0.0.1', port: good.port },
      ],
      fast,
    );
    try {
      const t0 = Date.now();
      expect(decodeMessage(await up.exchange(buildQuery('site.test', 1, 1), q('site.test'))).answers).toHaveLength(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      const deadBefore = dead.queries.length;
      await up.exchange(buildQuery('site.test', 28, 1), q('site.test', 28));
      expect(dead.queries.length).toBe(deadBefore);
      expect(up.timeouts).toBe(1);
    } finally {
      up.close();
    }
  });

  it('reports a timeout when no server answers, and no-upstream when none is configured', async () => {
    const up = new Upstream([{ host: '127.0.0.1', port: dead.port }], { attemptTimeoutMs: 200, queryTimeoutMs: 500 });
    try {
      const err = await up.exchange(buildQuery('site.test', 1, 1), q('site.test')).catch((e: unknown) => e);
      expect((err as UpstreamError).code).toBe('timeout');
    } finally {
      up.close();
    }
    const none = new Upstream([]);
    expect(((await none.exchange(buildQuery('a.test', 1, 1), q('a.test')).catch((e: unknown) => e)) as UpstreamError).code).toBe('no-upstream');
  });
});

describe('forwarder cache', () => {
  it('answers a repeated question from the cache with the asker id and aged TTLs', async () => {
    let now = 1_000_000;
    const fwd = new Forwarder(new Upstream([{ host: '127.0.0.1', port: good.port }], fast), () => now);
    try {
      const before = good.queries.filter((l) => l.name === 'alias.test').length;
      const first = buildQuery('alias.test', 1, 0x1111);
      const a = decodeMessage(await fwd.forward(first, 0x1111, first.length - 11, q('alias.test'), 0));
      expect(a.id).toBe(0x1111);
      expect(a.answers.map((r) => r.type)).toEqual([RecordType.CNAME, RecordType.A]);
      now += 100_000; // 100 s later
      const second = buildQuery('ALIAS.test', 1, 0x2222);
      const raw = await fwd.forward(second, 0x2222, second.length - 11, q('alias.test'), 0);
      const b = decodeMessage(raw);
      expect(b.id).toBe(0x2222);
      expect(b.answers.map((r) => r.ttl)).toEqual([200, 20]);
      // The asker's own letter case comes back in the question.
      expect(raw.includes(Buffer.from('ALIAS'))).toBe(true);
      expect(good.queries.filter((l) => l.name === 'alias.test').length).toBe(before + 1);
      now += 30_000; // past the 120 s TTL of site.test
      await fwd.forward(second, 0x2222, second.length - 11, q('alias.test'), 0);
      expect(good.queries.filter((l) => l.name === 'alias.test').length).toBe(before + 2);
    } finally {
      fwd.close();
    }
  });

  it('asks upstream once for identical questions in flight together', async () => {
    const fwd = new Forwarder(new Upstream([{ host: '127.0.0.1', port: good.port }], fast));
    try {
      const before = good.queries.filter((l) => l.name === 'site.test' && l.type === RecordType.AAAA).length;
      const replies = await Promise.all(
        [1, 2, 3, 4].map((id) => {
          const query = buildQuery('site.test', RecordType.AAAA, id);
          return fwd.forward(query, id, query.length - 11, q('site.test', RecordType.AAAA), 0);
        }),
      );
      expect(replies.map((r) => decodeMessage(r).id)).toEqual([1, 2, 3, 4]);
      expect(replies.map((r) => decodeMessage(r).answers[0]?.data)).toEqual(['2001:db8::3', '2001:db8::3', '2001:db8::3', '2001:db8::3']);
      expect(good.queries.filter((l) => l.name === 'site.test' && l.type === RecordType.AAAA).length).toBe(before + 1);
    } finally {
      fwd.close();
    }
  });
});
