// The web filter with the Linux SystemControl on a temp resolv.conf: it takes its upstream from the
// system's previous resolver, points the (temp) resolv.conf at itself, survives a crash without
// losing the original, and puts the original back byte for byte on stop. Real port 53 on
// 127.0.0.2/127.0.0.3 (resolv.conf cannot name another port); skipped where that is not allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWebFilter, type WebFilter } from '../../../src/agent/dns/web-filter.js';
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
  } catch (err) {
    unavailable = `cannot listen on 127.0.0.2:53 (${(err as NodeJS.ErrnoException).code})`;
  }
});

afterAll(async () => {
  await web?.stop();
  await upstream?.close();
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
});
