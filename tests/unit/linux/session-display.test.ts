// How an agent run as a service finds the student's X display and the Xauthority that lets it in:
// on facts written for the test (a fake /tmp and /proc, loginctl output, an Xauthority file).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseDisplay, parseSession, readEnviron, readXServers, type DisplayFacts, type LoginSession } from '../../../src/agent/platform/linux/session-display.js';
import { cookieFor, parseXauthority, readCookie, xauthFamily } from '../../../src/agent/platform/linux/xauthority.js';

const lightdmXorg = { number: 0, pid: 812, args: ['/usr/lib/xorg/Xorg', ':0', '-seat', 'seat0', '-auth', '/var/run/lightdm/root/:0', '-nolisten', 'tcp', 'vt7'] };

function session(overrides: Partial<LoginSession>): LoginSession {
  return { id: '2', type: 'x11', display: ':0', active: true, remote: false, state: 'active', user: 'hs01', leader: 1200, ...overrides };
}

function facts(overrides: Partial<DisplayFacts>): DisplayFacts {
  return { servers: [lightdmXorg], sessions: [], environOf: () => null, fileExists: () => true, ...overrides };
}

describe('choosing the X display for a service', () => {
  it("takes the active local X session's display and the X server's own -auth file", () => {
    expect(chooseDisplay(facts({ sessions: [session({})] }))).toEqual({
      display: ':0',
      xauthority: '/var/run/lightdm/root/:0',
      how: 'logind session 2 of hs01 (active)',
    });
  });

  it('prefers the active session over an idle one, and ignores remote, Wayland and dead-display sessions', () => {
    const servers = [lightdmXorg, { number: 1, pid: 900, args: ['/usr/lib/xorg/Xorg', ':1', '-auth', '/run/user/1001/gdm/Xauthority'] }];
    const sessions = [
      session({ id: 'c1', display: ':0', active: false, state: 'online', user: 'hs02' }),
      session({ id: '5', display: ':1', user: 'hs01' }),
      session({ id: '6', display: ':1', remote: true, user: 'intruder' }),
      session({ id: '7', type: 'wayland', display: '', user: 'gv01' }),
      session({ id: '8', display: ':9', user: 'ghost' }),
    ];
    expect(chooseDisplay(facts({ servers, sessions }))).toMatchObject({ display: ':1', xauthority: '/run/user/1001/gdm/Xauthority' });
  });

  it("uses the session's $XAUTHORITY when the X server was started without -auth (startx)", () => {
    const startx = { number: 0, pid: 1300, args: ['/usr/lib/xorg/Xorg', ':0', 'vt1', '-keeptty'] };
    const environOf = (pid: number) => (pid === 1200 ? { HOME: '/home/hs01', XAUTHORITY: '/home/hs01/.Xauthority' } : null);
    expect(chooseDisplay(facts({ servers: [startx], sessions: [session({})], environOf }))).toMatchObject({ display: ':0', xauthority: '/home/hs01/.Xauthority' });
  });

  it('finds the X server without logind (the login screen, or no systemd), and gives no Xauthority it cannot see', () => {
    const servers = [
      { number: 3, pid: 50, args: ['Xvfb', ':3'] },
      { number: 1, pid: 40, args: ['Xorg', ':1', '-auth', '/gone'] },
    ];
    expect(chooseDisplay(facts({ servers, fileExists: (f) => f !== '/gone' }))).toEqual({ display: ':1', xauthority: null, how: 'the first of 2 X servers' });
  });

  it('finds nothing when no X server runs', () => {
    expect(chooseDisplay(facts({ servers: [], sessions: [session({})] }))).toBeNull();
  });
});

describe('reading the facts', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists X servers from their sockets and lock files, skipping stale sockets', () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-display-'));
    const tmp = join(dir, 'tmp');
    const proc = join(dir, 'proc');
    mkdirSync(join(tmp, '.X11-unix'), { recursive: true });
    for (const n of ['X0', 'X5', 'X7', 'not-a-display']) writeFileSync(join(tmp, '.X11-unix', n), '');
    writeFileSync(join(tmp, '.X0-lock'), '       812\n');
    writeFileSync(join(tmp, '.X5-lock'), '       999\n'); // server gone: no /proc/999
    mkdirSync(join(proc, '812'), { recursive: true });
    writeFileSync(join(proc, '812', 'cmdline'), lightdmXorg.args.join('\0') + '\0');
    mkdirSync(join(proc, '1200'), { recursive: true });
    writeFileSync(join(proc, '1200', 'environ'), 'HOME=/home/hs01\0XAUTHORITY=/home/hs01/.Xauthority\0EMPTY=\0');
    expect(readXServers(tmp, proc)).toEqual([lightdmXorg]);
    expect(readEnviron(1200, proc)).toEqual({ HOME: '/home/hs01', XAUTHORITY: '/home/hs01/.Xauthority', EMPTY: '' });
    expect(readEnviron(4242, proc)).toBeNull();
  });

  it('reads a session from loginctl show-session', () => {
    const text = 'Type=x11\nDisplay=:0\nActive=yes\nRemote=no\nState=active\nName=hs01\nLeader=1200\n';
    expect(parseSession('2', text)).toEqual(session({}));
    expect(parseSession('c3', 'Type=tty\nActive=no\n')).toMatchObject({ type: 'tty', display: '', active: false, leader: 0 });
  });
});

describe('Xauthority cookies', () => {
  /** One entry in the binary Xauthority format (big-endian lengths). */
  function entry(family: number, address: string, display: string, name: string, data: Buffer): Buffer {
    const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    return Buffer.concat([Buffer.from([family >> 8, family & 0xff]), field(Buffer.from(address)), field(Buffer.from(display)), field(Buffer.from(name)), field(data)]);
  }
  const cookie0 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const cookie1 = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
  const file = Buffer.concat([
    entry(0, '\x0a\x00\x00\x05', '0', 'MIT-MAGIC-COOKIE-1', Buffer.from('network')),
    entry(xauthFamily.local, 'lab-pc03', '0', 'MIT-MAGIC-COOKIE-1', cookie0),
    entry(xauthFamily.local, 'lab-pc03', '1', 'MIT-MAGIC-COOKIE-1', cookie1),
    entry(xauthFamily.local, 'lab-pc03', '2', 'XDM-AUTHORIZATION-1', Buffer.from('other')),
  ]);
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("picks the local MIT-MAGIC-COOKIE-1 of the display's number", () => {
    const entries = parseXauthority(file);
    expect(entries).toHaveLength(4);
    expect(cookieFor(entries, '0')).toEqual({ name: 'MIT-MAGIC-COOKIE-1', data: cookie0.toString('latin1') });
    expect(cookieFor(entries, '1')?.data).toBe(cookie1.toString('latin1'));
    expect(cookieFor(entries, '2')).toBeNull();
  });

  it('keeps the complete entries of a truncated file', () => {
    expect(parseXauthority(file.subarray(0, file.length - 3))).toHaveLength(3);
  });

  it('reads a file, saying clearly when it cannot', () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    writeFileSync(join(dir, 'auth'), file);
    expect(readCookie(join(dir, 'auth'), ':1.0').data).toBe(cookie1.toString('latin1'));
    expect(() => readCookie(join(dir, 'auth'), ':2')).toThrow(/holds no MIT-MAGIC-COOKIE-1 for display :2/);
    expect(() => readCookie(join(dir, 'missing'), ':0')).toThrow(/cannot read the Xauthority file .*missing: ENOENT/);
    expect(() => readCookie(join(dir, 'auth'), 'nonsense')).toThrow(/not an X display name/);
  });
});
