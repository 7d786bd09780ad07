// Linux SystemControl resolver: points resolv.conf (or systemd-resolved) at the filter and puts
// the original back byte for byte, also after a crash. Runs on temp files, never /etc.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LinuxSystemControl } from '../../../src/agent/system/linux/system-control.js';
import { parseNameservers, resolverStateFileName, type CommandResult } from '../../../src/agent/system/linux/resolver.js';
import { SystemControlError } from '../../../src/agent/system/system-control.js';

const target = { addresses: ['127.0.0.1', '::1'] };
let root: string;
let dataDir: string;
let etc: string;
let resolvConf: string;

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'safelab-resolver-'));
  dataDir = path.join(root, 'agent-data');
  etc = path.join(root, 'etc');
  await fs.mkdir(etc);
  resolvConf = path.join(etc, 'resolv.conf');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function plainControl(): LinuxSystemControl {
  return new LinuxSystemControl({ dataDir, resolvConfPath: resolvConf, detectResolved: async () => false });
}

// Odd bytes on purpose: no trailing newline, CRLF, a tab, a non-UTF-8 byte.
const original = Buffer.concat([Buffer.from('# from DHCP\r\nsearch school.lan\nnameserver 192.168.1.1\n\tnameserver 2001:db8::53\noptions rotate'), Buffer.from([0xff])]);

describe('Linux resolver via resolv.conf', () => {
  it('points resolv.conf at the filter, keeps search domains, and restores the original byte for byte', async () => {
    await fs.writeFile(resolvConf, original, { mode: 0o640 });
    const control = plainControl();
    const takeover = await control.pointResolverAtFilter(target);
    expect(takeover).toEqual({ method: 'resolv.conf', keptEarlierSave: false, previousUpstreams: [{ host: '192.168.1.1', port: 53 }, { host: '2001:db8::53', port: 53 }] });
    const ours = await fs.readFile(resolvConf, 'utf8');
    expect(parseNameservers(ours)).toEqual([{ host: '127.0.0.1', port: 53 }, { host: '::1', port: 53 }]);
    expect(ours).toContain('search school.lan');
    expect(await control.resolverPointsAtFilter(target)).toBe(true);
    expect(await control.restoreResolver()).toBe('restored');
    expect((await fs.readFile(resolvConf)).equals(original)).toBe(true);
    expect((await fs.stat(resolvConf)).mode & 0o777).toBe(0o640);
    await expect(fs.access(path.join(dataDir, resolverStateFileName))).rejects.toThrow();
  });

  it('restores a symlinked resolv.conf as the same link text, not as a copy of its target', async () => {
    await fs.mkdir(path.join(root, 'run'));
    await fs.writeFile(path.join(root, 'run', 'resolv.conf'), 'nameserver 10.0.0.1\n');
    await fs.symlink('../run/resolv.conf', resolvConf);
    const control = plainControl();
    const takeover = await control.pointResolverAtFilter(target);
    expect(takeover.previousUpstreams).toEqual([{ host: '10.0.0.1', port: 53 }]);
    expect((await fs.lstat(resolvConf)).isSymbolicLink()).toBe(false);
    // The link's target file was not touched.
    expect(await fs.readFile(path.join(root, 'run', 'resolv.conf'), 'utf8')).toBe('nameserver 10.0.0.1\n');
    expect(await control.restoreResolver()).toBe('restored');
    expect(await fs.readlink(resolvConf)).toBe('../run/resolv.conf');
  });

  it('undoes a crashed run on the next start, and a restart that filters again keeps the first saved original', async () => {
    await fs.writeFile(resolvConf, original);
    await plainControl().pointResolverAtFilter(target);
    // "Crash": a new process with a fresh object points at the filter again.
    const second = await plainControl().pointResolverAtFilter(target);
    expect(second.keptEarlierSave).toBe(true);
    expect(second.previousUpstreams).toEqual([{ host: '192.168.1.1', port: 53 }, { host: '2001:db8::53', port: 53 }]);
    // Another crash; this time the agent starts without filtering and recovers.
    expect(await plainControl().recoverResolver()).toBe('restored');
    expect((await fs.readFile(resolvConf)).equals(original)).toBe(true);
    expect(await plainControl().recoverResolver()).toBe('nothing-saved');
  });

  it('leaves a resolv.conf that someone else rewrote since, and forgets the saved one', async () => {
    await fs.writeFile(resolvConf, original);
    const control = plainControl();
    await control.pointResolverAtFilter(target);
    await fs.writeFile(resolvConf, 'nameserver 10.9.9.9\n');
    expect(await control.resolverPointsAtFilter(target)).toBe(false);
    expect(await control.restoreResolver()).toBe('left-alone');
    expect(await fs.readFile(resolvConf, 'utf8')).toBe('nameserver 10.9.9.9\n');
  });

  it('restores a missing resolv.conf as missing', async () => {
    const control = plainControl();
    const takeover = await control.pointResolverAtFilter(target);
    expect(takeover.previousUpstreams).toEqual([]);
    await fs.access(resolvConf);
    expect(await control.restoreResolver()).toBe('restored');
    await expect(fs.lstat(resolvConf)).rejects.toThrow();
  });

  it('never offers the filter itself as an upstream', async () => {
    await fs.writeFile(resolvConf, 'nameserver 127.0.0.1\nnameserver 0:0::1\nnameserver 10.1.1.1\n');
    expect(await plainControl().systemUpstreams(target)).toEqual([{ host: '10.1.1.1', port: 53 }]);
  });

  it('refuses to guess when the saved state is corrupt', async () => {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, resolverStateFileName), '{"version":1,"method":"resolv.conf"');
    const err = await plainControl().recoverResolver().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SystemControlError);
    expect((err as SystemControlError).code).toBe('saved-state-corrupt');
  });
});

describe('Linux resolver via systemd-resolved', () => {
  it('adds a drop-in forwarding everything to the filter, reloads resolved, and removes it on restore', async () => {
    const dropInDir = path.join(etc, 'systemd', 'resolved.conf.d');
    const upstreamFile = path.join(root, 'run-resolved.conf');
    await fs.writeFile(upstreamFile, 'nameserver 192.168.50.1\nnameserver 127.0.0.1\n');
    await fs.writeFile(resolvConf, 'nameserver 127.0.0.53\n');
    const calls: string[] = [];
    const run = async (cmd: string, args: string[]): Promise<CommandResult> => {
      calls.push([cmd, ...args].join(' '));
      return { code: 0, stdout: '', stderr: '' };
    };
    const control = new LinuxSystemControl({ dataDir, resolvConfPath: resolvConf, resolvedDropInDir: dropInDir, resolvedUpstreamFile: upstreamFile, run, detectResolved: async () => true });
    const takeover = await control.pointResolverAtFilter(target);
    expect(takeover).toMatchObject({ method: 'systemd-resolved', previousUpstreams: [{ host: '192.168.50.1', port: 53 }] });
    const dropIn = await fs.readFile(path.join(dropInDir, 'zz-safelab-agent.conf'), 'utf8');
    expect(dropIn).toContain('DNS=127.0.0.1 ::1');
    expect(dropIn).toContain('Domains=~.');
    expect(calls).toContain('systemctl try-reload-or-restart systemd-resolved');
    // resolv.conf (the stub link) is not touched in this mode.
    expect(await fs.readFile(resolvConf, 'utf8')).toBe('nameserver 127.0.0.53\n');
    expect(await control.resolverPointsAtFilter(target)).toBe(true);
    calls.length = 0;
    expect(await control.restoreResolver()).toBe('restored');
    await expect(fs.access(path.join(dropInDir, 'zz-safelab-agent.conf'))).rejects.toThrow();
    expect(calls[0]).toBe('systemctl try-reload-or-restart systemd-resolved');
  });

  it('says when resolv.conf goes round resolved’s stub while the drop-in is in force, and never in plain resolv.conf mode', async () => {
    const run = async (): Promise<CommandResult> => ({ code: 0, stdout: '', stderr: '' });
    const stub = path.join(root, 'stub-resolv.conf');
    await fs.writeFile(stub, 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    await fs.symlink(stub, resolvConf);
    const control = new LinuxSystemControl({ dataDir, resolvConfPath: resolvConf, resolvedDropInDir: path.join(etc, 'resolved.conf.d'), resolvedUpstreamFile: path.join(root, 'none'), run, detectResolved: async () => true });
    expect(await control.resolverBypass(target)).toBeNull();
    await control.pointResolverAtFilter(target);
    expect(await control.resolverBypass(target)).toBeNull();
    await fs.rm(resolvConf);
    await fs.writeFile(resolvConf, 'nameserver 127.0.0.54\nnameserver ::1\n');
    expect(await control.resolverBypass(target)).toBeNull();
    await fs.writeFile(resolvConf, 'nameserver 127.0.0.53\nnameserver 8.8.8.8\n');
    expect(await control.resolverBypass(target)).toMatch(/names 8\.8\.8\.8 instead of systemd-resolved's stub/);
    // A plain resolv.conf PC is judged by resolverPointsAtFilter alone.
    await fs.writeFile(path.join(root, 'plain.conf'), 'nameserver 8.8.8.8\n');
    expect(await new LinuxSystemControl({ dataDir: path.join(root, 'other'), resolvConfPath: path.join(root, 'plain.conf'), detectResolved: async () => false }).resolverBypass(target)).toBeNull();
  });

  it('reports a failed resolved reload as a coded error', async () => {
    const control = new LinuxSystemControl({
      dataDir,
      resolvConfPath: resolvConf,
      resolvedDropInDir: path.join(etc, 'resolved.conf.d'),
      resolvedUpstreamFile: path.join(root, 'none'),
      run: async () => ({ code: 1, stdout: '', stderr: 'Unit systemd-resolved.service not found.' }),
      detectResolved: async () => true,
    });
    const err = await control.pointResolverAtFilter(target).catch((e: unknown) => e);
    expect((err as SystemControlError).code).toBe('command-failed');
    // The original was saved first, so the half-done change can still be undone.
    await fs.access(path.join(dataDir, resolverStateFileName));
  });
});
