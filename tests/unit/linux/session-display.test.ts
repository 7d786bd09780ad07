// How an agent run as a service finds the student's X display and the Xauthority that lets it in:
// on facts written for the test (a fake /tmp and /proc, loginctl output, an Xauthority file).
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseDisplay, parseSession, readEnviron, readXServers, type DisplayFacts, type LoginSession } from '../../../src/agent/platform/linux/session-display.js';
import { cookieFor, maxXauthorityBytes, parseXauthority, readCookie, writePrivateXauthority, xauthFamily } from '../../../src/agent/platform/linux/xauthority.js';
import { findXServerProcess, listeningSocketInodes } from '../../../src/agent/platform/linux/x-server.js';

const lightdmXorg = { number: 0, pid: 812, args: ['/usr/lib/xorg/Xorg', ':0', '-seat', 'seat0', '-auth', '/var/run/lightdm/root/:0', '-nolisten', 'tcp', 'vt7'] };

function session(overrides: Partial<LoginSession>): LoginSession {
  return { id: '2', type: 'x11', display: ':0', active: true, remote: false, state: 'active', user: 'hs01', uid: 1001, leader: 1200, ...overrides };
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
    // "unix:0" and ":0.0" name the same local server.
    expect(chooseDisplay(facts({ sessions: [session({ display: 'unix:0.0' })] }))).toMatchObject({ display: ':0', how: 'logind session 2 of hs01 (active)' });
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

  /**
   * A /tmp and /proc of a PC where lightdm's root Xorg (812) serves :0, holding the listening
   * sockets of /proc/net/unix (inodes 5001, 5002) among its descriptors.
   */
  function fakeSystem(): { tmp: string; proc: string; fakeProcess: (pid: number, exe: string, fds: string[], args: string[]) => void } {
    dir = mkdtempSync(join(tmpdir(), 'safelab-display-'));
    const tmp = join(dir, 'tmp');
    const proc = join(dir, 'proc');
    mkdirSync(join(tmp, '.X11-unix'), { recursive: true });
    mkdirSync(join(proc, 'net'), { recursive: true });
    writeFileSync(
      join(proc, 'net', 'unix'),
      [
        'Num       RefCount Protocol Flags    Type St Inode Path',
        '0000000000000000: 00000002 00000000 00010000 0001 01 5002 /tmp/.X11-unix/X0',
        '0000000000000000: 00000002 00000000 00010000 0001 01 5001 @/tmp/.X11-unix/X0',
        '0000000000000000: 00000003 00000000 00000000 0001 03 5003 /tmp/.X11-unix/X0', // a connected client, not the listener
        '0000000000000000: 00000002 00000000 00010000 0001 01 6001 /tmp/.X11-unix/X5',
        '',
      ].join('\n'),
    );
    const fakeProcess = (pid: number, exe: string, fds: string[], args: string[]): void => {
      mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
      symlinkSync(exe, join(proc, String(pid), 'exe'));
      fds.forEach((target, i) => symlinkSync(target, join(proc, String(pid), 'fd', String(i + 3))));
      writeFileSync(join(proc, String(pid), 'cmdline'), args.join('\0') + '\0');
    };
    // /usr/bin/Xvfb stands for the real binary: root-owned, on this machine.
    fakeProcess(812, '/usr/bin/Xvfb', ['pipe:[1]', 'socket:[5001]', 'socket:[5002]'], lightdmXorg.args);
    return { tmp, proc, fakeProcess };
  }

  it('lists X servers by the process holding their socket, skipping stale sockets', async () => {
    const { tmp, proc } = fakeSystem();
    for (const n of ['X0', 'X5', 'X7', 'not-a-display']) writeFileSync(join(tmp, '.X11-unix', n), '');
    writeFileSync(join(tmp, '.X0-lock'), '       812\n');
    writeFileSync(join(tmp, '.X5-lock'), '       999\n'); // listening, but no process holds it any more
    mkdirSync(join(proc, '1200'), { recursive: true });
    writeFileSync(join(proc, '1200', 'environ'), 'HOME=/home/hs01\0XAUTHORITY=/home/hs01/.Xauthority\0EMPTY=\0');
    expect(await readXServers({ tmp, proc })).toEqual([lightdmXorg]);
    expect(await readEnviron(1200, proc)).toEqual({ HOME: '/home/hs01', XAUTHORITY: '/home/hs01/.Xauthority', EMPTY: '' });
    expect(await readEnviron(4242, proc)).toBeNull();
  });

  it("finds the X server by its socket, not by a lock file the student rewrote to name their own script", async () => {
    const { tmp, proc, fakeProcess } = fakeSystem();
    const lock = join(tmp, '.X0-lock');
    const lockNaming = (pid: number, uid: number): void => {
      writeFileSync(lock, `${String(pid).padStart(10)}\n`);
      chownSync(lock, uid, uid);
    };
    // Their script (1300) holds the socket (passed to it), but python3 is not an X server.
    fakeProcess(1300, '/usr/bin/python3', ['socket:[5001]'], ['python3', 'grab.py']);
    // A root-owned X server binary the student started (1400): an X server, but not this display's.
    fakeProcess(1400, '/usr/bin/Xvfb', ['pipe:[2]'], ['Xvfb', ':7']);
    // The same binary (9300) holding the display's socket too: only a lock file the student cannot
    // write may point at it. (9300 also comes after 812 in the scan, which reads /proc in name
    // order: so only a believed lock file makes it win.)
    fakeProcess(9300, '/usr/bin/Xvfb', ['socket:[5001]'], ['Xvfb', ':0']);

    // Rootless Xorg: the student owns /tmp/.X0-lock and writes any PID into it.
    lockNaming(1300, 64_321);
    expect((await findXServerProcess(0, { tmp, proc }))?.pid).toBe(812);
    lockNaming(9300, 64_321);
    expect((await findXServerProcess(0, { tmp, proc }))?.pid).toBe(812);
    // A root-owned lock file naming a process that does not hold the socket is not believed either.
    lockNaming(1400, 0);
    expect((await findXServerProcess(0, { tmp, proc }))?.pid).toBe(812);
    // One naming an X server holding the socket is (no scan needed).
    lockNaming(9300, 0);
    expect((await findXServerProcess(0, { tmp, proc }))?.pid).toBe(9300);
    expect(await findXServerProcess(5, { tmp, proc })).toBeNull();
    expect(await findXServerProcess(9, { tmp, proc })).toBeNull();
  });

  it('reads the listening sockets of a display from /proc/net/unix, the abstract one first', () => {
    const table = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 11 /tmp/.X11-unix/X1',
      '0000000000000000: 00000002 00000000 00010000 0001 01 12 @/tmp/.X11-unix/X1',
      '0000000000000000: 00000003 00000000 00000000 0001 03 13 /tmp/.X11-unix/X1',
      '0000000000000000: 00000002 00000000 00010000 0001 01 14 /tmp/.X11-unix/X10',
      'garbage',
    ].join('\n');
    expect(listeningSocketInodes(table, 1)).toEqual(['12', '11']);
    expect(listeningSocketInodes(table, 10)).toEqual(['14']);
    expect(listeningSocketInodes(table, 2)).toEqual([]);
  });

  it('reads a session from loginctl show-session', () => {
    const text = 'Type=x11\nDisplay=:0\nActive=yes\nRemote=no\nState=active\nName=hs01\nUser=1001\nLeader=1200\n';
    expect(parseSession('2', text)).toEqual(session({}));
    expect(parseSession('c3', 'Type=tty\nActive=no\n')).toMatchObject({ type: 'tty', display: '', active: false, uid: null, leader: 0 });
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

  it('reads a file, saying clearly when it cannot', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    writeFileSync(join(dir, 'auth'), file);
    expect((await readCookie(join(dir, 'auth'), ':1.0')).data).toBe(cookie1.toString('latin1'));
    await expect(readCookie(join(dir, 'auth'), ':2')).rejects.toThrow(/holds no MIT-MAGIC-COOKIE-1 for display :2/);
    await expect(readCookie(join(dir, 'missing'), ':0')).rejects.toThrow(/cannot read the Xauthority file .*missing: ENOENT/);
    await expect(readCookie(join(dir, 'auth'), 'nonsense')).rejects.toThrow(/not an X display name/);
  });

  it("refuses a student's FIFO, symlink or huge file in place of their Xauthority, at once and without blocking", async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync('/etc/shadow', join(dir, 'link'));
    writeFileSync(join(dir, 'huge'), Buffer.alloc(maxXauthorityBytes + 1));
    mkdirSync(join(dir, 'folder'));
    // A FIFO opened without O_NONBLOCK would wait for a writer forever (and this test with it).
    const started = Date.now();
    await expect(readCookie(join(dir, 'fifo'), ':0')).rejects.toThrow(/is not a regular file/);
    await expect(readCookie(join(dir, 'link'), ':0')).rejects.toThrow(/is a symbolic link/);
    await expect(readCookie(join(dir, 'huge'), ':0')).rejects.toThrow(/is too big/);
    await expect(readCookie(join(dir, 'folder'), ':0')).rejects.toThrow(/is not a regular file/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('keeps a private copy of the cookie that only the agent can read, for the X tools it runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    const path = await writePrivateXauthority(dir, ':1.0', { name: 'MIT-MAGIC-COOKIE-1', data: cookie1.toString('latin1') });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const entries = parseXauthority(readFileSync(path));
    expect(entries).toEqual([{ family: xauthFamily.wild, address: '', display: '1', name: 'MIT-MAGIC-COOKIE-1', data: cookie1.toString('latin1') }]);
    // Written again (the X server restarted with a new cookie): replaced whole.
    await writePrivateXauthority(dir, ':1', { name: 'MIT-MAGIC-COOKIE-1', data: cookie0.toString('latin1') });
    expect(cookieFor(parseXauthority(readFileSync(path)), '1')?.data).toBe(cookie0.toString('latin1'));
  });
});
