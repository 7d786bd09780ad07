// The web filter with the Linux SystemControl on a temp resolv.conf: it takes its upstream from the
// system's previous resolver, points the (temp) resolv.conf at itself, survives a crash without
// losing the original, puts the original back byte for byte on stop, points it back when DHCP
// rewrites it behind the filter, and never leaves the PC pointing at a filter that is not running
// (crash, then port 53 taken; crash, then no filter). Real port 53 on 127.0.0.2/3 and 127.0.53.9
// (resolv.conf cannot name another port); skipped where that is not allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recoverSystemResolver, startWebFilter, type WebFilter } from '../../../src/agent/dns/web-filter.js';
import { DnsServerError } from '../../../src/agent/dns/server.js';
import { LinuxSystemControl } from '../../../src/agent/system/linux/system-control.js';
import { parseNameservers } from '../../../src/agent/system/linux/resolver.js';
import { compileTestList, schoolProfile } from '../../unit/dns/lists.js';
import { TestUpstream } from './test-upstream.js';

const filterHost = '127.0.0.3';
const original = Buffer.from('# written by the school DHCP client\nsearch lab.school\nnameserver 127.0.0.2\noptions timeout:2\n');
let root: string;
let resolvConf: string;
let upstream: TestUpstream | null = null;
/** The server a DHCP renewal hands out later. */
let renewed: TestUpstream | null = null;
const renewedHost = '127.0.53.9';
let web: WebFilter | null = null;
let unavailable = '';

function dig(name: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('dig', [`@${filterHost}`, '-p', '53', name, 'A', '+short', '+time=2', '+tries=1'], { timeout: 6000 }, (_err, stdout) => resolve(String(stdout).trim()));
  });
}

function control(): LinuxSystemControl {
  return new LinuxSystemControl({ dataDir: path.join(root, 'agent'), resolvConfPath: resolvConf, detectResolved: async () => false });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'safelab-sysresolver-'));
  resolvConf = path.join(root, 'resolv.conf');
  await fs.writeFile(resolvConf, original);
  try {
    upstream = await TestUpstream.start({ zone: { 'site.test': { A: ['10.1.2.3'] } }, host: '127.0.0.2', port: 53 });
    renewed = await TestUpstream.start({ zone: { 'site.test': { A: ['10.7.7.7'] } }, host: renewedHost, port: 53 });
  } catch (err) {
    unavailable = `cannot listen on 127.0.0.2:53 (${(err as NodeJS.ErrnoException).code})`;
  }
});

afterAll(async () => {
  await web?.stop();
  await upstream?.close();
  await renewed?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('web filter with the Linux system resolver', () => {
  it('takes the previous resolver as upstream, points resolv.conf at itself, and filters', async (ctx) => {
    if (unavailable) ctx.skip();
    try {
      web = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() });
    } catch (err) {
      if (!(err instanceof DnsServerError)) throw err;
      unavailable = err.message;
      ctx.skip();
    }
    expect(web!.status()).toMatchObject({ resolver: 'resolv.conf', upstreams: [{ host: '127.0.0.2', port: 53 }] });
    const ours = await fs.readFile(resolvConf, 'utf8');
    expect(parseNameservers(ours)).toEqual([{ host: filterHost, port: 53 }]);
    expect(ours).toContain('search lab.school');
    await web!.install(compileTestList(), schoolProfile());
    expect(await dig('site.test')).toBe('10.1.2.3');
    expect(await dig('porn.test')).toBe('0.0.0.0');
  });

  it('keeps the saved original through a crash and restores it byte for byte on stop', async (ctx) => {
    if (unavailable) ctx.skip();
    // A crash: the process ends without putting resolv.conf back.
    await web!.stop({ restoreResolver: false });
    web = null;
    expect(parseNameservers(await fs.readFile(resolvConf, 'utf8'))).toEqual([{ host: filterHost, port: 53 }]);
    web = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() });
    // The upstream is still the school's resolver, not the filter itself, and the list is in force.
    expect(web.status()).toMatchObject({ resolver: 'resolv.conf', startedFrom: 'loaded', upstreams: [{ host: '127.0.0.2', port: 53 }] });
    expect(await dig('porn.test')).toBe('0.0.0.0');
    await web.stop();
    web = null;
    expect((await fs.readFile(resolvConf)).equals(original)).toBe(true);
  });

  it('points resolv.conf back when DHCP rewrites it behind the running filter, and asks the new server from then on', async (ctx) => {
    if (unavailable) ctx.skip();
    web = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() });
    expect(await dig('site.test')).toBe('10.1.2.3');
    const dhcp = Buffer.from(`# written by the school DHCP client after a renewal\nnameserver ${renewedHost}\n`);
    await fs.writeFile(`${resolvConf}.dhclient-new`, dhcp);
    await fs.rename(`${resolvConf}.dhclient-new`, resolvConf);
    const settled = (): boolean => web!.status().resolverGuard?.drift?.count === 1 && web!.status().resolverGuard?.pointed === true;
    for (let i = 0; i < 100 && !settled(); i++) await new Promise((r) => setTimeout(r, 30));
    expect(web.status().resolverGuard).toMatchObject({ pointed: true, problem: null, drift: { count: 1 } });
    expect(parseNameservers(await fs.readFile(resolvConf, 'utf8'))).toEqual([{ host: filterHost, port: 53 }]);
    // The renewed server is the way out now (the cache was emptied with the change).
    expect(web.status().upstreams).toEqual([{ host: renewedHost, port: 53 }]);
    expect(await dig('site.test')).toBe('10.7.7.7');
    await web.stop();
    web = null;
    // What DHCP wrote last comes back, not the first copy.
    expect((await fs.readFile(resolvConf)).equals(dhcp)).toBe(true);
  });

  it('after a crash, with port 53 taken, refuses to start and leaves the original resolv.conf, byte for byte', async (ctx) => {
    if (unavailable) ctx.skip();
    await web?.stop();
    web = null;
    await fs.writeFile(resolvConf, original);
    const first = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() });
    await first.stop({ restoreResolver: false });
    expect(parseNameservers(await fs.readFile(resolvConf, 'utf8'))).toEqual([{ host: filterHost, port: 53 }]);
    // Something else took the port while the agent was down.
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.bind(53, filterHost, () => resolve());
    });
    try {
      const err = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DnsServerError);
      expect((err as DnsServerError).code).toBe('listen-failed');
      // Not pointing at a filter that does not run: the PC has its DNS back.
      expect((await fs.readFile(resolvConf)).equals(original)).toBe(true);
    } finally {
      squatter.close();
    }
  });

  it('after a crash, an agent that will not filter puts the original resolv.conf back', async (ctx) => {
    if (unavailable) ctx.skip();
    await web?.stop();
    web = null;
    const first = await startWebFilter({ dataDir: path.join(root, 'agent'), listen: [{ host: filterHost, port: 53 }], system: control() });
    await first.stop({ restoreResolver: false });
    const lines: string[] = [];
    await recoverSystemResolver(control(), (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`));
    expect((await fs.readFile(resolvConf)).equals(original)).toBe(true);
    expect(lines).toEqual(['dns-resolver-recovered {"outcome":"restored"}']);
  });
});
