// A student tampering with what the lock depends on, on a real X server (Xvfb) that checks
// cookies as a display manager's does: the session's Xauthority file (theirs: they delete it, or
// put a FIFO in its place), the X server going away under a lock, and the grab-break keys the lock
// switches on for a moment (which must never stay on). The "student" is a user id no other
// process has (x-session.ts); their files are made theirs with chown.

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LinuxDesktop, lockDownReportMs } from '../../../src/agent/platform/linux/desktop.js';
import { XkbGrabBreaker, type XkbToolRunner } from '../../../src/agent/platform/linux/grab-break.js';
import { XConnection } from '../../../src/agent/platform/linux/x-connection.js';
import { encodeXauthority, xauthFamily } from '../../../src/agent/platform/linux/xauthority.js';
import type { LockIssue } from '../../../src/agent/platform/session-desktop.js';
import { processState, requireXTools, startClient, startXvfb, studentUid, toolTimeoutMs, waitFor, type ClientProcess, type Xvfb } from './x-session.js';

const student = { uid: studentUid, gid: studentUid };

/** An Xauthority file holding `cookie` for display `display`. */
function xauthorityFile(path: string, display: string, cookie: Buffer): void {
  writeFileSync(path, encodeXauthority([{ family: xauthFamily.wild, address: '', display: display.slice(1), name: 'MIT-MAGIC-COOKIE-1', data: cookie.toString('latin1') }]), { mode: 0o600 });
}

/** Runs an X tool with the server's own cookie (the tests' clients are not the student). */
function xtool(display: string, xauthority: string, file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, DISPLAY: display, XAUTHORITY: xauthority }, timeout: toolTimeoutMs, encoding: 'latin1' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

async function lockWindow(display: string, xauthority: string): Promise<number | null> {
  const out = await xtool(display, xauthority, 'xdotool', ['search', '--name', '^SafeLab lock$']).catch(() => '');
  const first = out.split('\n').find(Boolean);
  return first ? Number(first) : null;
}

/** The longest the event loop was kept from running a 10 ms timer while `during` ran. */
async function longestStall(during: () => Promise<void>): Promise<number> {
  let last = Date.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  try {
    await during();
  } finally {
    clearInterval(ticker);
  }
  return longest;
}

describe("a student's Xauthority file", () => {
  let x: Xvfb | null = null;
  let dir: string;
  let desktop: LinuxDesktop | null = null;
  const log: string[] = [];
  const issues: Array<LockIssue | null> = [];

  beforeAll(() => {
    requireXTools(['Xvfb', 'xdotool', 'xkill', 'mkfifo']);
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-tamper-'));
    chmodSync(dir, 0o755); // the student reaches their home inside
  });

  afterEach(async () => {
    await desktop?.close();
    desktop = null;
    await x?.stop();
    x = null;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cannot take the lock down: deleted, the cookie kept in memory brings a killed lock back; a FIFO freezes nothing; the teacher is told while the lock is down', async () => {
    const serverAuth = join(dir, 'server-auth');
    const home = join(dir, 'home');
    mkdirSync(home);
    chownSync(home, studentUid, studentUid);
    const sessionAuth = join(home, '.Xauthority');
    const cookieA = randomBytes(16);
    // The display manager's file for the server, and the session's copy in the student's home.
    xauthorityFile(serverAuth, ':0', cookieA);
    x = await startXvfb(640, 480, { auth: serverAuth });
    const display = x.display;
    xauthorityFile(serverAuth, display, cookieA);
    xauthorityFile(sessionAuth, display, cookieA);
    chownSync(sessionAuth, studentUid, studentUid);

    desktop = new LinuxDesktop({ display, xauthority: sessionAuth, recoveryFile: join(dir, 'paused.json'), log: (l) => log.push(l) });
    await desktop.start();
    desktop.onLockIssue((issue) => issues.push(issue));
    await desktop.lock('Khoá');
    const first = await lockWindow(display, serverAuth);
    expect(first).not.toBeNull();

    // The student deletes their file, then kills the lock: it comes back all the same.
    execFileSync('rm', ['-f', sessionAuth], { ...student });
    expect(existsSync(sessionAuth)).toBe(false);
    await xtool(display, serverAuth, 'xkill', ['-id', String(first)]);
    // (A new connection may get the same window id back: what counts is that the lock was killed and is up again.)
    await waitFor('the lock back after xkill', async () => log.some((l) => l.startsWith('lock.lost kind=connection-killed')) && desktop!.inputCaptured() && (await lockWindow(display, serverAuth)) !== null, 3_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    expect(desktop.lockIssue()).toBeNull();

    // A FIFO where the file was. The X server goes away (the lock with it) and comes back with a
    // new cookie (a new login): the agent has to read the file again, and must not hang on it.
    execFileSync('mkfifo', [sessionAuth], { ...student });
    const number = display;
    const stall = await longestStall(async () => {
      await x!.stop();
      x = null;
      await waitFor('the teacher to be told the lock is down', () => issues.includes('lock-down'), lockDownReportMs + 3_000, 20);
      expect(desktop!.lockIssue()).toBe('lock-down');
      const cookieB = randomBytes(16);
      xauthorityFile(serverAuth, number, cookieB);
      x = await startXvfb(640, 480, { auth: serverAuth, display: number });
      // The reconnect finds the old cookie refused and the file a FIFO: still down, and still running.
      await waitFor('a reconnect to meet the FIFO', () => log.some((l) => l.includes('is not a regular file')), 8_000, 20);
      expect(desktop!.lockIssue()).toBe('lock-down');
      // The display manager writes the new session file: the lock is back, and so is the tile.
      rmSync(sessionAuth);
      xauthorityFile(`${sessionAuth}.new`, number, cookieB);
      chownSync(`${sessionAuth}.new`, studentUid, studentUid);
      renameSync(`${sessionAuth}.new`, sessionAuth);
      await waitFor('the lock back on the new server', async () => (await lockWindow(number, serverAuth)) !== null, 10_000, 50);
      await waitFor('the lock-down issue to clear', () => desktop!.lockIssue() === null && issues[issues.length - 1] === null, 3_000, 20);
    });
    expect(log.some((l) => l.startsWith('desktop.cookie-refused'))).toBe(true);
    // Nothing waited on the FIFO: the agent's event loop (heartbeats, DNS) kept running throughout.
    expect(stall).toBeLessThan(1_000);
    await desktop.unlock();
  });

  it('fails to start at once, with the reason, when the file is a FIFO from the start', async () => {
    x = await startXvfb(320, 240, { auth: join(dir, 'nothing') });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    desktop = new LinuxDesktop({ display: x.display, xauthority: fifo, recoveryFile: join(dir, 'paused.json') });
    const started = Date.now();
    await expect(desktop.start()).rejects.toThrow(/is not a regular file/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('the grab-break keys the lock switches on for a moment', () => {
  let x: Xvfb;
  let dir: string;
  let desktop: LinuxDesktop | null = null;
  const attackers: ClientProcess[] = [];

  beforeAll(async () => {
    requireXTools(['Xvfb', 'xdotool', 'setxkbmap', 'xkbcomp']);
    x = await startXvfb(640, 480);
    dir = mkdtempSync(join(tmpdir(), 'safelab-keys-'));
  });

  afterEach(async () => {
    await desktop?.close();
    desktop = null;
    for (const a of attackers.splice(0)) {
      if (processState(a.pid) === 'T') process.kill(a.pid, 'SIGCONT');
      await a.stop();
    }
  });

  afterAll(async () => {
    await x?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The real tools, except that restoring the keymap fails `failures` times (a tool timing out on a loaded PC). */
  function restoreFails(failures: number): XkbToolRunner {
    let left = failures;
    return (file, args, env, timeoutMs) => {
      const restoring = file === 'xkbcomp' && args[2]?.endsWith('.xkb') && args[3] === env['DISPLAY'];
      if (restoring && left > 0) {
        left--;
        return Promise.reject(new Error(`xkbcomp failed: timed out after ${timeoutMs} ms`));
      }
      return new Promise((resolve, reject) => execFile(file, args, { env, timeout: timeoutMs }, (err) => (err ? reject(err) : resolve())));
    };
  }

  /** Do the keys work right now? A grabbing client loses its grab to Ctrl+Alt+KP_Divide only if they do. */
  async function keysBreakGrabs(): Promise<boolean> {
    const grabber = startClient(x.display, 'root-grabber.cjs', [], student);
    attackers.push(grabber);
    await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);
    await new Promise<void>((resolve, reject) =>
      execFile('xdotool', ['key', 'ctrl+alt+KP_Divide'], { env: { ...process.env, DISPLAY: x.display } }, (err) => (err ? reject(err) : resolve())),
    );
    const lost = await grabber.waitForLine(/^lost keyboard/, 500).then(
      () => true,
      () => false,
    );
    await grabber.stop();
    return lost;
  }

  it('are off again after a restore that failed, before the student could use them', async () => {
    const log: string[] = [];
    expect(await keysBreakGrabs()).toBe(false);
    desktop = new LinuxDesktop({ display: x.display, recoveryFile: join(dir, 'a', 'paused.json'), xkbToolRunner: restoreFails(1), log: (l) => log.push(l) });
    await desktop.start();
    const grabber = startClient(x.display, 'root-grabber.cjs', [], student);
    attackers.push(grabber);
    await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);
    await desktop.lock('Khoá');
    expect(log.some((l) => l.startsWith('lock.grab-taken-back method=xkb-ungrab')), log.join('\n')).toBe(true);
    expect(log.some((l) => l.startsWith('lock.keymap-restore-failed'))).toBe(true);
    await waitFor('the keymap restored on the retry', () => log.some((l) => l.startsWith('lock.keymap-restored after_retries=1')), 5_000, 20);
    await desktop.unlock();
    await grabber.stop();
    expect(await keysBreakGrabs()).toBe(false);
  });

  it('are switched off by the next run of the agent when a run died with them on', async () => {
    const stateDir = join(dir, 'b');
    const log: string[] = [];
    // A run whose restores all fail, and which then stops without putting the keymap back (as a crash would).
    desktop = new LinuxDesktop({ display: x.display, recoveryFile: join(stateDir, 'paused.json'), xkbToolRunner: restoreFails(1_000), log: (l) => log.push(l) });
    await desktop.start();
    const grabber = startClient(x.display, 'root-grabber.cjs', [], student);
    attackers.push(grabber);
    await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);
    await desktop.lock('Khoá');
    await desktop.close();
    desktop = null;
    await grabber.stop();
    expect(JSON.parse(readFileSync(join(stateDir, `keymap-${x.display.replace(':', '_')}.json`), 'utf8'))).toMatchObject({ on: true });
    expect(await keysBreakGrabs()).toBe(true);

    const next: string[] = [];
    desktop = new LinuxDesktop({ display: x.display, recoveryFile: join(stateDir, 'paused.json'), log: (l) => next.push(l) });
    await desktop.start();
    expect(next.some((l) => l.startsWith('lock.keymap-left-on'))).toBe(true);
    expect(await keysBreakGrabs()).toBe(false);
  });

  it('are off after two breaks asked for at once (one at a time: the second never snapshots the keys on)', async () => {
    const conn = await XConnection.open(x.display);
    const log: string[] = [];
    const breaker = new XkbGrabBreaker({ display: x.display, env: () => ({ ...process.env }), stateDir: join(dir, 'c'), connection: () => conn, log: (l) => log.push(l) });
    try {
      expect(await Promise.all([breaker.breakGrabs(conn, 'ungrab'), breaker.breakGrabs(conn, 'disconnect-grabber'), breaker.breakGrabs(conn, 'ungrab')])).toEqual([true, true, true]);
      expect(breaker.restoreOwed).toBe(false);
    } finally {
      breaker.dispose();
      conn.close();
    }
    expect(log.filter((l) => l.includes('restore-failed'))).toEqual([]);
    expect(await keysBreakGrabs()).toBe(false);
  });
});
