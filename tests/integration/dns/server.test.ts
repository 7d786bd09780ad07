// The DNS listeners: UDP on IPv4 and IPv6, TCP framing (split, pipelined), malformed packets,
// idle timeouts and connection limits — real sockets on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DnsServer } from '../../../src/agent/dns/server.js';
import { DnsFilter } from '../../../src/agent/dns/filter.js';
import { Forwarder, Upstream } from '../../../src/agent/dns/upstream.js';
import { Rcode, buildQuery, decodeMessage } from '../../../src/agent/dns/wire.js';
import { TestUpstream } from './test-upstream.js';
import { framed, tcpExchange, udpExchange } from './dns-client.js';

let upstream: TestUpstream;
let server: DnsServer;
let forwarder: Forwarder;
let port = 0;
let hasIpv6 = false;

beforeAll(async () => {
  upstream = await TestUpstream.start({ zone: { 'site.test': { A: ['10.1.2.3'] } } });
  forwarder = new Forwarder(new Upstream([{ host: '127.0.0.1', port: upstream.port }]));
  const filter = new DnsFilter({ rules: { policy: null }, forwarder });
  server = new DnsServer({
    listen: [
      { host: '127.0.0.1', port: 0 },
      { host: '::1', port: 0 },
    ],
    answerer: filter,
    tcpIdleTimeoutMs: 300,
  });
  const bound = await server.start();
  port = bound[0]!.port;
  hasIpv6 = bound.some((b) => b.host === '::1');
});

afterAll(async () => {
  await server.stop();
  forwarder.close();
  await upstream.close();
});

describe('DNS listeners', () => {
  it('answers over UDP on 127.0.0.1 and ::1 on the same port', async () => {
    const reply = await udpExchange('127.0.0.1', port, buildQuery('site.test', 1, 77));
    expect(decodeMessage(reply!)).toMatchObject({ id: 77, rcode: 0, answers: [{ data: '10.1.2.3' }] });
    if (hasIpv6) {
      const six = await udpExchange('::1', port, buildQuery('site.test', 1, 78));
      expect(decodeMessage(six!).id).toBe(78);
    }
  });

  it('answers FORMERR for a readable header with a broken question and stays up after random datagrams', async () => {
    const broken = Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]);
    const reply = await udpExchange('127.0.0.1', port, broken);
    expect(decodeMessage(reply!)).toMatchObject({ id: 0xbeef, rcode: Rcode.formErr });
    // Too short to even carry an id: silently dropped.
    expect(await udpExchange('127.0.0.1', port, Buffer.from([1, 2, 3]), 300)).toBeNull();
    const junk = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 300 }), 300);
    await Promise.all(junk.map((j) => udpExchange('127.0.0.1', port, j, 300)));
    const after = await udpExchange('127.0.0.1', port, buildQuery('site.test', 1, 79));
    expect(decodeMessage(after!).answers).toHaveLength(1);
    expect(server.stats.answerErrors).toBe(0);
  });

  it('reassembles a TCP query sent one byte at a time and answers pipelined queries', async () => {
    const q = framed(buildQuery('site.test', 1, 5));
    const bytes = Array.from(q, (b) => Uint8Array.of(b));
    const slow = await tcpExchange('127.0.0.1', port, bytes, 1, 3000, 2);
    expect(decodeMessage(slow.replies[0]!).id).toBe(5);
    const both = Buffer.concat([framed(buildQuery('site.test', 1, 6)), framed(buildQuery('site.test', 28, 7))]);
    const piped = await tcpExchange('127.0.0.1', port, [both], 2);
    expect(piped.replies.map((r) => decodeMessage(r).id).sort()).toEqual([6, 7]);
  });

  it('closes idle TCP connections and connections that send a frame too short to be DNS', async () => {
    const idle = await tcpExchange('127.0.0.1', port, [], 1, 2000);
    expect(idle.closedByServer).toBe(true);
    const tiny = await tcpExchange('127.0.0.1', port, [Uint8Array.of(0, 3, 1, 2, 3)], 1, 2000);
    expect(tiny.closedByServer).toBe(true);
    expect(tiny.replies).toHaveLength(0);
  });

  it('refuses TCP connections beyond the limit', async () => {
    const limited = new DnsServer({ listen: [{ host: '127.0.0.1', port: 0 }], answerer: new DnsFilter({ rules: { policy: null }, forwarder }), maxTcpConnections: 3 });
    const [bound] = await limited.start();
    try {
      const q = framed(buildQuery('site.test', 1, 9));
      // Three idle connections hold every slot; the fourth is closed at once.
      const holders = [0, 1, 2].map(() => tcpExchange('127.0.0.1', bound!.port, [], 1, 1500));
      for (let i = 0; i < 100 && limited.openTcpConnections < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(limited.openTcpConnections).toBe(3);
      const extra = await tcpExchange('127.0.0.1', bound!.port, [q], 1, 1000);
      expect(extra.replies).toHaveLength(0);
      expect(extra.closedByServer).toBe(true);
      await Promise.all(holders);
      for (let i = 0; i < 100 && limited.openTcpConnections > 0; i++) await new Promise((r) => setTimeout(r, 20));
      const later = await tcpExchange('127.0.0.1', bound!.port, [q], 1, 1000);
      expect(later.replies).toHaveLength(1);
    } finally {
      await limited.stop();
    }
  });
});
