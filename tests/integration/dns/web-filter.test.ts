// The agent's web filter with real DNS clients: dig (UDP and TCP), Node's resolver (UDP, and TCP
// only through its truncation retry) and a plain Node TCP socket speaking DNS with the 2-byte
// length prefix ask the filter, which answers blocked names itself, rewrites search engines to
// SafeSearch (A, AAAA and HTTPS; YouTube strict or moderate), defeats the DoH canary and iCloud
// Private Relay, and forwards the rest to a test authoritative server on loopback. The list is
// compiled by the real compiler; the filter keeps its last good list across restarts, and before
// any list arrived it applies its built-in floor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWebFilter, type WebFilter } from '../../../src/agent/dns/web-filter.js';
import { RecordType, buildQuery, decodeMessage } from '../../../src/agent/dns/wire.js';
import { framed, tcpExchange } from './dns-client.js';
import { FilterListError } from '../../../src/shared/filtering/errors.js';
import { compileTestList, lessonProfile, schoolProfile } from '../../unit/dns/lists.js';
import { TestUpstream, type TestZone } from './test-upstream.js';

const zone: TestZone = {
  'site.test': { A: ['10.1.2.3'], AAAA: ['2001:db8::3'], HTTPS: [{ priority: 1, target: '.' }] },
  'a.b.c.d.e.f.g.h.site.test': { A: ['10.1.2.4'] },
  'xn--caf-dma.test': { A: ['10.1.2.5'] },
  'lesson-site.test': { A: ['10.1.2.6'] },
  'big.test': { TXT: Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(120, 'x')) },
  'forcesafesearch.google.com': { A: ['216.239.38.120'], AAAA: ['2001:4860:4802:32::78'], HTTPS: [{ priority: 1, target: '.' }] },
  'restrict.youtube.com': { A: ['216.239.38.119'] },
  'restrictmoderate.youtube.com': { A: ['216.239.38.118'] },
  'strict.bing.com': { CNAME: 'strict.edge.bing.test' },
  'strict.edge.bing.test': { A: ['204.79.197.220'] },
  'safe.duckduckgo.com': { A: ['52.142.124.215'] },
  // What the unsafe hosts would answer if they were ever forwarded.
  'www.google.com': { A: ['142.250.1.1'] },
  'www.youtube.com': { CNAME: 'youtube-ui.l.google.test' },
  'porn.test': { A: ['6.6.6.6'] },
};

let dataDir: string;
let upstream: TestUpstream;
let web: WebFilter;
let port: number;

async function start(): Promise<WebFilter> {
  return startWebFilter({
    dataDir,
    listen: [
      { host: '127.0.0.1', port: 0 },
      { host: '::1', port: 0 },
    ],
    upstreams: [{ host: '127.0.0.1', port: upstream.port }],
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'safelab-webfilter-'));
  // The upstream sends big.test truncated over UDP, so the filter must fetch it over TCP.
  upstream = await TestUpstream.start({ zone, truncateUdp: (name) => name === 'big.test' });
  web = await start();
  port = web.status().listening[0]!.port;
  await web.install(compileTestList(), schoolProfile());
});

afterAll(async () => {
  await web?.stop();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface DigAnswer {
  status: string;
  flags: string[];
  answers: { name: string; type: string; data: string }[];
}

/** Runs dig against the filter; every run is bounded (one try, 2 s, killed after 6 s). */
function dig(name: string, type: string, transport: 'udp' | 'tcp', extra: string[] = []): Promise<DigAnswer> {
  const args = ['@127.0.0.1', '-p', String(port), name, type, transport === 'tcp' ? '+tcp' : '+notcp', '+time=2', '+tries=1', '+noall', '+comments', '+answer', ...extra];
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: 6000 }, (err, stdout) => {
      if (err && !stdout) return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NO-REPLY';
      const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
      const answers = stdout
        .split('\n')
        .filter((l) => l && !l.startsWith(';'))
        .map((l) => l.split(/\s+/))
        .map((f) => ({ name: f[0]!, type: f[3]!, data: f.slice(4).join(' ') }));
      resolve({ status, flags, answers });
    });
  });
}

function nodeResolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

/** Questions sent by Node itself over one TCP connection (2-byte length prefix, pipelined), decoded answers back. */
async function nodeTcp(questions: { name: string; type: number }[]): Promise<ReturnType<typeof decodeMessage>[]> {
  const chunks = questions.map((q, i) => framed(buildQuery(q.name, q.type, 100 + i)));
  const { replies } = await tcpExchange('127.0.0.1', port, chunks, questions.length, 3000);
  return replies.map((r) => decodeMessage(r)).sort((a, b) => a.id - b.id);
}

describe('web filter answering real DNS clients', () => {
  it('answers blocked names locally over UDP and TCP (0.0.0.0 and ::)', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const a = await dig('porn.test', 'A', transport);
      expect(a.status).toBe('NOERROR');
      expect(a.answers).toEqual([{ name: 'porn.test.', type: 'A', data: '0.0.0.0' }]);
      const aaaa = await dig('www.porn.test', 'AAAA', transport);
      expect(aaaa.answers).toEqual([{ name: 'www.porn.test.', type: 'AAAA', data: '::' }]);
    }
    expect(await nodeResolver().resolve4('casino.test')).toEqual(['0.0.0.0']);
  });

  it('forwards allowed names to the upstream over UDP and TCP', async () => {
    const asked = upstream.queries.filter((q) => q.name === 'site.test' && q.type === 1).length;
    for (const transport of ['udp', 'tcp'] as const) {
      expect((await dig('site.test', 'A', transport)).answers).toEqual([{ name: 'site.test.', type: 'A', data: '10.1.2.3' }]);
    }
    // The second answer came from the cache: upstream was asked once.
    expect(upstream.queries.filter((q) => q.name === 'site.test' && q.type === 1).length).toBe(asked + 1);
    expect(web.status().filter.answeredFromCache).toBeGreaterThan(0);
    expect(await nodeResolver().resolve6('site.test')).toEqual(['2001:db8::3']);
    const nx = await dig('nothing-here.test', 'A', 'udp');
    expect(nx.status).toBe('NXDOMAIN');
  });

  it('blocks upper-case, trailing-dot, punycode, IDN and deep-subdomain variants, and forwards the allowed ones', async () => {
    for (const name of ['PORN.TEST', 'Porn.Test.', 'XN--BCHER-KVA.test', 'a.b.c.d.e.f.g.h.i.j.k.porn.test']) {
      expect((await dig(name, 'A', 'udp')).answers[0]?.data, name).toBe('0.0.0.0');
    }
    // Node turns the Unicode name into xn-- before asking.
    expect(await nodeResolver().resolve4('bücher.test')).toEqual(['0.0.0.0']);
    expect(await nodeResolver().resolve4('WWW.PORN.TEST')).toEqual(['0.0.0.0']);
    expect((await dig('XN--CAF-DMA.test', 'A', 'tcp')).answers[0]?.data).toBe('10.1.2.5');
    expect(await nodeResolver().resolve4('café.test')).toEqual(['10.1.2.5']);
    expect((await dig('A.B.C.D.E.F.G.H.site.test.', 'A', 'udp')).answers[0]?.data).toBe('10.1.2.4');
  });

  it('rewrites search engines to their SafeSearch hosts by CNAME for A, AAAA and HTTPS', async () => {
    const a = await dig('www.google.com', 'A', 'udp');
    expect(a.answers).toEqual([
      { name: 'www.google.com.', type: 'CNAME', data: 'forcesafesearch.google.com.' },
      { name: 'forcesafesearch.google.com.', type: 'A', data: '216.239.38.120' },
    ]);
    const aaaa = await dig('WWW.Google.COM', 'AAAA', 'tcp');
    expect(aaaa.answers.map((r) => [r.type, r.data])).toEqual([
      ['CNAME', 'forcesafesearch.google.com.'],
      ['AAAA', '2001:4860:4802:32::78'],
    ]);
    const https = await dig('www.google.com.vn', 'HTTPS', 'udp');
    expect(https.answers.map((r) => r.type)).toEqual(['CNAME', 'HTTPS']);
    expect(https.answers[0]!.data).toBe('forcesafesearch.google.com.');
    expect(https.answers[1]!.name).toBe('forcesafesearch.google.com.');
    expect((await dig('www.youtube.com', 'A', 'udp')).answers.map((r) => r.data)).toEqual(['restrict.youtube.com.', '216.239.38.119']);
    expect((await dig('www.bing.com', 'A', 'tcp')).answers.map((r) => r.data)).toEqual(['strict.bing.com.', 'strict.edge.bing.test.', '204.79.197.220']);
    expect(await nodeResolver().resolve4('duckduckgo.com')).toEqual(['52.142.124.215']);
    expect(await nodeResolver().resolve4('www.google.com')).toEqual(['216.239.38.120']);
    // The unsafe host itself was never asked upstream.
    expect(upstream.queries.some((q) => q.name === 'www.google.com')).toBe(false);
  });

  it('answers the Firefox DoH canary and Private Relay with NXDOMAIN and DDR with no records', async () => {
    expect((await dig('use-application-dns.net', 'A', 'udp')).status).toBe('NXDOMAIN');
    expect((await dig('mask.icloud.com', 'AAAA', 'tcp')).status).toBe('NXDOMAIN');
    // Private Relay's HTTP/2 fallback host, over both transports and for the HTTPS type Apple asks.
    expect((await dig('mask-h2.icloud.com', 'A', 'udp')).status).toBe('NXDOMAIN');
    expect((await dig('MASK-H2.icloud.com.', 'HTTPS', 'tcp')).status).toBe('NXDOMAIN');
    const relay = await nodeResolver().resolve4('mask-h2.icloud.com').catch((e: NodeJS.ErrnoException) => e);
    expect((relay as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    expect(upstream.queries.some((q) => q.name.startsWith('mask'))).toBe(false);
    const ddr = await dig('_dns.resolver.arpa', 'SVCB', 'udp');
    expect(ddr.status).toBe('NOERROR');
    expect(ddr.answers).toEqual([]);
    const err = await nodeResolver().resolve4('use-application-dns.net').catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    expect((await dig('dns.google', 'A', 'udp')).answers[0]?.data).toBe('0.0.0.0');
  });

  it('rewrites YouTube to its moderate host when the profile says moderate', async () => {
    await web.setProfile(schoolProfile({ youtube: 'moderate' }));
    expect((await dig('www.youtube.com', 'A', 'udp')).answers.map((r) => r.data)).toEqual(['restrictmoderate.youtube.com.', '216.239.38.118']);
    expect((await dig('youtubei.googleapis.com', 'A', 'tcp')).answers.map((r) => r.data)).toEqual(['restrictmoderate.youtube.com.', '216.239.38.118']);
    expect(await nodeResolver().resolve4('m.youtube.com')).toEqual(['216.239.38.118']);
    // Search engines keep their own SafeSearch hosts.
    expect((await dig('www.google.com', 'A', 'udp')).answers[0]?.data).toBe('forcesafesearch.google.com.');
    await web.setProfile(schoolProfile());
    expect((await dig('www.youtube.com', 'A', 'udp')).answers[0]?.data).toBe('restrict.youtube.com.');
  });

  it('answers a plain Node TCP socket (2-byte length prefix), pipelined, like dig +tcp', async () => {
    const [blocked, allowed, rewritten, canary] = await nodeTcp([
      { name: 'porn.test', type: RecordType.A },
      { name: 'site.test', type: RecordType.A },
      { name: 'www.youtube.com', type: RecordType.A },
      { name: 'use-application-dns.net', type: RecordType.A },
    ]);
    expect(blocked).toMatchObject({ id: 100, rcode: 0, answers: [{ type: RecordType.A, data: '0.0.0.0' }] });
    expect(allowed).toMatchObject({ id: 101, answers: [{ type: RecordType.A, data: '10.1.2.3' }] });
    expect(rewritten!.answers.map((r) => r.data)).toEqual(['restrict.youtube.com', '216.239.38.119']);
    expect(canary).toMatchObject({ id: 103, rcode: 3, answers: [] });
    // The same answers dig gets over TCP.
    expect((await dig('porn.test', 'A', 'tcp')).answers[0]?.data).toBe('0.0.0.0');
    expect((await dig('site.test', 'A', 'tcp')).answers[0]?.data).toBe('10.1.2.3');
  });

  it('fetches a big answer upstream over TCP and makes UDP clients come back over TCP', async () => {
    const cut = await dig('big.test', 'TXT', 'udp', ['+ignore', '+noedns']);
    expect(cut.flags).toContain('tc');
    expect(cut.answers).toEqual([]);
    const full = await dig('big.test', 'TXT', 'udp', ['+noedns']);
    expect(full.answers).toHaveLength(12);
    expect(upstream.queries.filter((q) => q.name === 'big.test').map((q) => q.transport)).toEqual(['udp', 'tcp']);
    // Node's resolver (c-ares) also retries over TCP on TC.
    expect(await nodeResolver().resolveTxt('big.test')).toHaveLength(12);
  });

  it('reports blocked attempts (time, name, category) for the console', async () => {
    web.drainBlockedAttempts(5000);
    await dig('casino.test', 'A', 'udp');
    await dig('sub.porn.test', 'A', 'tcp');
    const attempts = web.drainBlockedAttempts();
    expect(attempts.map((a) => [a.name, a.category])).toEqual([
      ['casino.test', 'gambling'],
      ['sub.porn.test', 'adult'],
    ]);
    expect(attempts.every((a) => Math.abs(a.time - Date.now()) < 60_000)).toBe(true);
  });

  it('switches to an allowlist-only lesson and back', async () => {
    await web.setProfile(lessonProfile());
    expect((await dig('site.test', 'A', 'udp')).answers[0]?.data).toBe('0.0.0.0');
    expect((await dig('lesson-site.test', 'A', 'udp')).answers[0]?.data).toBe('10.1.2.6');
    await web.setProfile(schoolProfile());
    expect((await dig('site.test', 'A', 'udp')).answers[0]?.data).toBe('10.1.2.3');
  });

  it('rejects a corrupted list with the old list still enforcing', async () => {
    const damaged = compileTestList(['site.test']);
    damaged[damaged.length - 5] ^= 0x01;
    const err = await web.install(damaged, schoolProfile()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FilterListError);
    expect((await dig('porn.test', 'A', 'udp')).answers[0]?.data).toBe('0.0.0.0');
    expect((await dig('site.test', 'A', 'udp')).answers[0]?.data).toBe('10.1.2.3');
  });

  it('applies its built-in floor before any list arrived: SafeSearch and strict YouTube, the bypass answers, nothing blocked by list', async () => {
    const freshDir = mkdtempSync(path.join(tmpdir(), 'safelab-webfilter-fresh-'));
    const fresh = await startWebFilter({ dataDir: freshDir, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
    const freshPort = fresh.status().listening[0]!.port;
    const ask = (name: string, type: string, transport: 'udp' | 'tcp'): Promise<DigAnswer> => {
      const saved = port;
      port = freshPort;
      return dig(name, type, transport).finally(() => (port = saved));
    };
    try {
      expect(fresh.status()).toMatchObject({ active: null, startedFrom: 'none' });
      expect((await ask('www.youtube.com', 'A', 'udp')).answers.map((r) => r.data)).toEqual(['restrict.youtube.com.', '216.239.38.119']);
      expect((await ask('www.google.com', 'AAAA', 'tcp')).answers.map((r) => r.data)).toEqual(['forcesafesearch.google.com.', '2001:4860:4802:32::78']);
      expect((await ask('www.bing.com', 'A', 'udp')).answers[0]?.data).toBe('strict.bing.com.');
      expect((await ask('use-application-dns.net', 'A', 'udp')).status).toBe('NXDOMAIN');
      expect((await ask('mask-h2.icloud.com', 'A', 'tcp')).status).toBe('NXDOMAIN');
      // No list yet: nothing is blocked by one.
      expect((await ask('porn.test', 'A', 'udp')).answers[0]?.data).toBe('6.6.6.6');
      // The first list ends the floor: from now on the profile decides.
      await fresh.install(compileTestList(), schoolProfile({ safeSearch: false, youtube: 'off' }));
      // YouTube is asked upstream as it is (its real CNAME), no longer rewritten.
      expect((await ask('www.youtube.com', 'A', 'udp')).answers.map((r) => r.data)).toEqual(['youtube-ui.l.google.test.']);
      expect((await ask('porn.test', 'A', 'udp')).answers[0]?.data).toBe('0.0.0.0');
    } finally {
      await fresh.stop();
      rmSync(freshDir, { recursive: true, force: true });
    }
  });

  it('enforces the last good list from disk after a restart, before the console is back', async () => {
    await web.stop();
    web = await start();
    port = web.status().listening[0]!.port;
    expect(web.status()).toMatchObject({ startedFrom: 'loaded', active: { profileId: 'thcs' } });
    expect((await dig('porn.test', 'A', 'tcp')).answers[0]?.data).toBe('0.0.0.0');
    expect(await nodeResolver().resolve4('site.test')).toEqual(['10.1.2.3']);
  });
});
