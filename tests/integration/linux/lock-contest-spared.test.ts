// What a contested lock must keep running while it pauses a student's programs, on a real X
// server: the X server itself when it runs as the student (startx, GDM's rootless Xorg), whatever
// PID the student writes into its lock file; and the compositing manager, which draws the screen
// (paused, it would freeze the screen on its last frame, hiding the lock) — unless the
// "compositor" is what keeps fighting the lock. And on unlock, the programs run again before the
// lock gives back the windows it hid and the focus: a paused window manager could not show them.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { LinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import { remapWaitMs } from '../../../src/agent/platform/linux/lock.js';
import { colours } from '../../../src/agent/platform/linux/panels.js';
import {
  focusedWindow,
  isViewable,
  near,
  pixel,
  processState,
  requireXTools,
  screenshot,
  startClient,
  startWindowManager,
  startXvfb,
  studentUid,
  tool,
  waitFor,
  type ClientProcess,
  type WindowManager,
  type Xvfb,
} from './x-session.js';

const student = { uid: studentUid, gid: studentUid };

/** The contest is recognised and the student's programs paused within this. */
const escalationMs = 3_000;

const aliveLines = (c: ClientProcess): number => c.lines.filter((l) => l.startsWith('alive')).length;

describe('what a contested lock keeps running', () => {
  let dir: string;
  let x: Xvfb | null = null;
  let desktop: LinuxDesktop | null = null;
  let lockFile: string | null = null;
  const attackers: ClientProcess[] = [];
  const log: string[] = [];

  beforeAll(() => {
    requireXTools(['Xvfb', 'import']);
    dir = mkdtempSync(join(tmpdir(), 'safelab-spared-'));
  });

  afterEach(async () => {
    await desktop?.close();
    desktop = null;
    for (const a of attackers.splice(0)) {
      if (processState(a.pid) === 'T') process.kill(a.pid, 'SIGCONT');
      await a.stop();
    }
    if (x && processState(x.pid) === 'T') process.kill(x.pid, 'SIGCONT');
    await x?.stop();
    x = null;
    if (lockFile) rmSync(lockFile, { force: true });
    lockFile = null;
    log.length = 0;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function lockedDesktop(display: string): Promise<LinuxDesktop> {
    desktop = new LinuxDesktop({ display, recoveryFile: join(dir, 'paused.json'), log: (l) => log.push(l) });
    await desktop.start();
    await desktop.lock('Khoá');
    return desktop;
  }

  it("pauses the student's script but not their rootless X server, whatever they write in its lock file", async () => {
    x = await startXvfb(640, 480, { as: student });
    const killer = startClient(x.display, 'kill-loop.cjs', [], student);
    attackers.push(killer);
    await killer.waitForLine(/^ready/);
    // The student "owns" the lock file of a rootless server: it names their script as the X server.
    lockFile = `/tmp/.X${x.display.slice(1)}-lock`;
    execFileSync('sh', ['-c', `printf '%10d\\n' ${killer.pid} > ${lockFile}`], { ...student });

    const d = await lockedDesktop(x.display);
    await waitFor('the killer paused', () => d.lockIssue() === 'contested' && processState(killer.pid) === 'T', escalationMs, 20).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    expect(processState(x.pid)).not.toBe('T');
    expect(d.pausedPrograms()).not.toContain(x.pid);
    // The server still answers: the lock is on screen.
    await waitFor('the lock on screen', async () => near(pixel(await screenshot(x!.display), 10, 10), colours.lockCover, 0), 2_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    await d.unlock();
    await waitFor('the killer to run again', () => processState(killer.pid) !== 'T', 2_000);
  });

  it('keeps the compositing manager running while it pauses the script fighting the lock', async () => {
    x = await startXvfb(640, 480);
    const compositor = startClient(x.display, 'compositor.cjs', [], student);
    attackers.push(compositor);
    await compositor.waitForLine(/^ready/);
    const killer = startClient(x.display, 'kill-loop.cjs', [], student);
    attackers.push(killer);
    await killer.waitForLine(/^ready/);

    const d = await lockedDesktop(x.display);
    await waitFor('the killer paused', () => processState(killer.pid) === 'T', escalationMs, 20).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    const alive = aliveLines(compositor);
    await waitFor('the compositor to go on running', () => aliveLines(compositor) > alive + 3, 2_000);
    expect(processState(compositor.pid)).not.toBe('T');
    expect(d.pausedPrograms()).not.toContain(compositor.pid);
    await d.unlock();
  });

  it('pauses a "compositor" that is what keeps fighting the lock', async () => {
    x = await startXvfb(640, 480);
    const poser = startClient(x.display, 'compositor.cjs', ['kill'], student);
    attackers.push(poser);
    await poser.waitForLine(/^ready/);

    const d = await lockedDesktop(x.display);
    await waitFor('the poser paused', () => processState(poser.pid) === 'T', escalationMs + 4_000, 20).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    expect(log.some((l) => l.startsWith(`lock.compositor-paused pid=${poser.pid}`))).toBe(true);
    await waitFor('the lock on screen', async () => near(pixel(await screenshot(x!.display), 10, 10), colours.lockCover, 0), 2_000);
    await d.unlock();
    await waitFor('the poser to run again', () => processState(poser.pid) !== 'T', 2_000);
  });

  it('gives back hidden windows, framed, and the focus as unlock returns, though the window manager was paused', async () => {
    x = await startXvfb(1280, 720);
    const display = x.display;
    let wm: WindowManager | null = null;
    try {
      wm = await startWindowManager(display, student);
      const typist = startClient(display, 'input-recorder.cjs', [], student);
      attackers.push(typist);
      const typistWindow = Number((await typist.waitForLine(/^ready (\d+)/))[1]);
      const grabber = startClient(display, 'window-grabber.cjs', [], student);
      attackers.push(grabber);
      const grabberWindow = Number((await grabber.waitForLine(/^ready (\d+)/))[1]);
      await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);
      await tool(display, 'xdotool', ['windowfocus', '--sync', String(typistWindow)]);
      // Started last: it kills windows mapped from now on (the lock's), not the desktop's.
      const killer = startClient(display, 'kill-loop.cjs', [], student);
      attackers.push(killer);
      await killer.waitForLine(/^ready/);

      // Without grab-break keys the lock hides the grabbing window; the kills make it a contest.
      desktop = new LinuxDesktop({ display, xkbGrabBreak: false, recoveryFile: join(dir, 'paused.json'), log: (l) => log.push(l) });
      await desktop.start();
      await desktop.lock('Khoá');
      const d = desktop;
      await waitFor(
        'the window manager paused with the rest, and the grabbing window hidden',
        () => processState(wm!.pid) === 'T' && processState(killer.pid) === 'T' && d.inputCaptured() && log.some((l) => l.startsWith('lock.grab-taken-back method=hide-windows')),
        escalationMs + 2_000,
        20,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${log.join('\n')}`);
      });
      expect(await isViewable(display, grabberWindow)).toBe(false);
      // The script is stopped for good (it would kill the windows coming back).
      process.kill(killer.pid, 'SIGKILL');

      const unlockStarted = Date.now();
      await d.unlock();
      const unlockMs = Date.now() - unlockStarted;
      // No waiting after unlock: what it promises is done when it returns. And it did not sit out
      // the lock's whole wait for a window manager that could not answer (it was paused then).
      expect(await isViewable(display, grabberWindow)).toBe(true);
      expect(unlockMs).toBeLessThan(remapWaitMs);
      expect(await focusedWindow(display)).toBe(typistWindow);
    } finally {
      await wm?.stop();
    }
  });
});
