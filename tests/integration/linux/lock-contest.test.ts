// A student who fights the lock on a real X server (Xvfb): a script that kills every window as it
// appears, a window that raises itself every 10 ms, a client that holds the keyboard on the root
// window and grabs it back whenever it loses it. The lock must win: it reports the contest, pauses
// the student's programs (run here as a user id no other process has, so pausing cannot reach the
// test runner or another test), stays on screen with input blocked, and resumes them on unlock.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contestLossCount, maxLinesPerKindPerEpisode } from '../../../src/agent/platform/linux/contest.js';
import { LinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import { colours } from '../../../src/agent/platform/linux/panels.js';
import type { LockIssue } from '../../../src/agent/platform/session-desktop.js';
import { builtFile } from '../helpers/paths.js';
import {
  fixtures,
  isViewable,
  near,
  pixel,
  processState,
  reaches,
  requireXTools,
  screenshot,
  startClient,
  startXvfb,
  studentUid,
  tool,
  waitFor,
  windowsNamed,
  stopProcess,
  type ClientProcess,
  type Xvfb,
} from './x-session.js';

const student = { uid: studentUid, gid: studentUid };

/** The contest is recognised and the student's programs paused within this (a few losses, then one escalation). */
const escalationMs = 3_000;
/** Magenta: the colour of the window that tries to stay above the lock. */
const attackerColour = 0xff00ff;

/** The lock fills the screen: the four corners and the middle of the top edge show the cover colour. */
async function lockOnScreen(display: string): Promise<boolean> {
  const shot = await screenshot(display);
  return [[0, 0], [1279, 0], [0, 719], [1279, 719], [640, 4]].every(([px, py]) => near(pixel(shot, px!, py!), colours.lockCover, 0));
}

/** Count of "alive" lines: they stop while the process is paused and go on when it resumes. */
const aliveLines = (c: ClientProcess): number => c.lines.filter((l) => l.startsWith('alive')).length;

describe('a lock a student fights', () => {
  let x: Xvfb;
  let recorder: ClientProcess;
  let desktop: LinuxDesktop;
  let recoveryDir: string;
  const log: Array<{ at: number; line: string }> = [];
  const issues: Array<LockIssue | null> = [];
  const attackers: ClientProcess[] = [];
  const logText = (): string => log.map((l) => l.line).join('\n');

  beforeAll(async () => {
    requireXTools();
    x = await startXvfb(1280, 720);
    recorder = startClient(x.display, 'input-recorder.cjs', ['100', '100', '300', '200']);
    await recorder.waitForLine(/^ready/);
    recoveryDir = mkdtempSync(join(tmpdir(), 'safelab-lock-contest-'));
  });

  beforeEach(async () => {
    log.length = 0;
    issues.length = 0;
    desktop = new LinuxDesktop({ display: x.display, recoveryFile: join(recoveryDir, 'paused.json'), log: (line) => log.push({ at: Date.now(), line }) });
    await desktop.start();
    desktop.onLockIssue((issue) => issues.push(issue));
  });

  afterEach(async () => {
    await desktop?.close();
    for (const a of attackers.splice(0)) {
      if (processState(a.pid) === 'T') process.kill(a.pid, 'SIGCONT');
      await a.stop();
    }
    // Nothing the desktop left running or paused.
    expect(existsSync(join(recoveryDir, 'paused.json'))).toBe(false);
  });

  afterAll(async () => {
    await recorder?.stop();
    await x?.stop();
    if (recoveryDir) rmSync(recoveryDir, { recursive: true, force: true });
  });

  it('pauses a script that kills the lock as it appears, stays locked, reports the contest and resumes the script on unlock', async () => {
    const killer = startClient(x.display, 'kill-loop.cjs', [], student);
    attackers.push(killer);
    await killer.waitForLine(/^ready/);

    await desktop.lock('Đừng tắt khoá').catch((e: Error) => {
      throw new Error(`${e.message}\n${logText()}\nkiller: ${killer.lines.slice(-5).join(' | ')}`);
    });
    await waitFor('the contest to be recognised and the killer paused', () => desktop.lockIssue() === 'contested' && processState(killer.pid) === 'T', escalationMs, 20).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${logText()}\nkiller: ${killer.lines.slice(-5).join(' | ')}`);
      },
    );
    // The contest came from the kills (a paused process's last lines may still be in the pipe: let them arrive).
    expect(log.find((l) => l.line.startsWith('lock.contested'))?.line).toMatch(new RegExp(`losses=${contestLossCount} .*connection-killed:\\d`));
    expect(desktop.pausedPrograms()).toContain(killer.pid);
    await new Promise((r) => setTimeout(r, 200));
    const killsWhenPaused = killer.lines.filter((l) => l.startsWith('killed')).length;
    expect(killsWhenPaused).toBeGreaterThanOrEqual(1);

    // From now on the lock stays: the screen shows it every time we look, and no input gets through.
    for (let i = 0; i < 5; i++) {
      expect(await lockOnScreen(x.display)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [cover] = await windowsNamed(x.display, 'SafeLab lock');
    expect(await isViewable(x.display, cover!)).toBe(true);
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    expect(await reaches(x.display, recorder, 'click')).toBe(false);
    expect(killer.lines.filter((l) => l.startsWith('killed')).length).toBe(killsWhenPaused);

    // Reported once, not per kill: one contest line, and the whole fight wrote a few dozen lines, not hundreds.
    expect(log.filter((l) => l.line.startsWith('lock.contested')).length).toBe(1);
    expect(log.filter((l) => l.line.startsWith('lock.lost')).length).toBeLessThanOrEqual(maxLinesPerKindPerEpisode);
    expect(log.length).toBeLessThan(60);
    await waitFor('listeners to hear of the contest', () => issues.includes('contested'), 2_000);

    const aliveBefore = aliveLines(killer);
    await desktop.unlock();
    expect(desktop.lockIssue()).toBeNull();
    expect(desktop.pausedPrograms()).toEqual([]);
    await waitFor('the killer to run again', () => processState(killer.pid) !== 'T' && aliveLines(killer) > aliveBefore + 1, 2_000);
    expect(issues[issues.length - 1]).toBeNull();
    expect(log.some((l) => l.line.startsWith('lock.programs-resumed') && l.line.includes('reason=unlocked'))).toBe(true);
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
  });

  it('keeps a window that raises itself every 10 ms under the lock, and pauses it', async () => {
    const watch = startClient(x.display, 'stack-watch.cjs');
    await watch.waitForLine(/^ready/);
    try {
      await desktop.lock('Khoá');
      const [cover] = await windowsNamed(x.display, 'SafeLab lock');
      const raiser = startClient(x.display, 'raise-loop.cjs', ['0', '0', '1280', '720', attackerColour.toString(16)], student);
      attackers.push(raiser);
      const [, wid] = await raiser.waitForLine(/^ready (\d+)/);

      // The first time it covered the lock: from the restack event to the cover back on top.
      const [, coveredAt] = await watch.waitForLine(new RegExp(`^above ${wid} ${cover} (\\d+)`));
      const [, backAt] = await watch.waitForLine(new RegExp(`^above ${cover} ${wid} (\\d+)`));
      expect(Number(backAt) - Number(coveredAt)).toBeLessThanOrEqual(1_000);

      await waitFor('the raiser to be paused', () => desktop.lockIssue() === 'contested' && processState(raiser.pid) === 'T', escalationMs, 20).catch((e: Error) => {
        throw new Error(`${e.message}\n${logText()}`);
      });
      // Paused, it can no longer get above the lock: every look shows the lock.
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 10; i++) {
        expect(await lockOnScreen(x.display)).toBe(true);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await reaches(x.display, recorder, 'key')).toBe(false);

      await desktop.unlock();
      const alive = aliveLines(raiser);
      await waitFor('the raiser to run again', () => aliveLines(raiser) > alive + 1, 2_000);
      // Its window is above everything again: the student's own business once the lock is gone.
      await waitFor('the raiser on top', async () => near(pixel(await screenshot(x.display), 640, 360), attackerColour, 0), 2_000);
    } finally {
      await watch.stop();
    }
  });

  it('takes the keyboard and pointer from a client holding them on the root window, and leaves the keymap as it was', async () => {
    const rulesBefore = await tool(x.display, 'xprop', ['-root', '_XKB_RULES_NAMES']);
    const grabber = startClient(x.display, 'root-grabber.cjs', [], student);
    attackers.push(grabber);
    const [, keyboard, pointer] = await grabber.waitForLine(/^grabbed keyboard=(-?\d+) pointer=(-?\d+)/);
    expect([keyboard, pointer]).toEqual(['0', '0']);

    await desktop.lock('Khoá');
    // lock() answers once input is ours: nothing to report.
    expect(desktop.lockIssue()).toBeNull();
    expect(log.some((l) => l.line.startsWith('lock.grab-taken-back method=xkb-ungrab'))).toBe(true);
    const keysBefore = grabber.lines.filter((l) => l.startsWith('key')).length;
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    expect(grabber.lines.filter((l) => l.startsWith('key')).length).toBe(keysBefore);

    // The grab-break keys were on only for the moment we pressed them: pressing them now breaks nothing.
    expect(await tool(x.display, 'xprop', ['-root', '_XKB_RULES_NAMES'])).toBe(rulesBefore);
    expect(await tool(x.display, 'setxkbmap', ['-query'])).not.toContain('grab:break_actions');
    await tool(x.display, 'xdotool', ['key', 'ctrl+alt+KP_Divide', 'ctrl+alt+KP_Multiply']);
    await new Promise((r) => setTimeout(r, 200));
    expect(log.some((l) => l.line.startsWith('lock.lost kind=grab-lost'))).toBe(false);
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    await desktop.unlock();
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
  });

  it('says input is not captured when it cannot break a grab on the root window, and clears it once the grab ends', async () => {
    await desktop.close();
    desktop = new LinuxDesktop({ display: x.display, xkbGrabBreak: false, recoveryFile: join(recoveryDir, 'paused.json'), log: (line) => log.push({ at: Date.now(), line }) });
    await desktop.start();
    desktop.onLockIssue((issue) => issues.push(issue));
    const grabber = startClient(x.display, 'root-grabber.cjs', [], student);
    attackers.push(grabber);
    await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);

    await desktop.lock('Khoá');
    expect(desktop.lockIssue()).toBe('input-not-captured');
    expect(issues).toContain('input-not-captured');
    // Honest: keys really do get past this lock (to the grabbing client).
    const keys = grabber.lines.filter((l) => l.startsWith('key')).length;
    await tool(x.display, 'xdotool', ['key', 'b']);
    await waitFor('the grabber to get the key', () => grabber.lines.filter((l) => l.startsWith('key')).length > keys, 2_000);

    await grabber.stop();
    await waitFor('the lock to capture input once the grab is gone', () => desktop.lockIssue() === null, 3_000);
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    await waitFor('listeners to hear the issue is gone', () => issues[issues.length - 1] === null, 3_000);
    await desktop.unlock();
  });

  it('takes the keyboard and pointer from a client that grabs them back whenever it can, pausing it if it wins a round', async () => {
    const grabber = startClient(x.display, 'root-grabber.cjs', ['again'], student);
    attackers.push(grabber);
    await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);

    await desktop.lock('Khoá');
    // Each round is a race between our grab and its next one; a round it wins counts against it,
    // and after a few the lock is contested and the grabber paused. Either way the lock ends up
    // holding the input, and the grabber's tries fail from then on.
    await waitFor('the lock to hold keyboard and pointer', () => desktop.inputCaptured() && desktop.lockIssue() !== 'input-not-captured', escalationMs + 2_000, 20).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${logText()}\ngrabber: ${grabber.lines.slice(-6).join(' | ')}`);
      },
    );
    if (desktop.lockIssue() === 'contested') expect(processState(grabber.pid)).toBe('T');
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    expect(await reaches(x.display, recorder, 'click')).toBe(false);
    await desktop.unlock();
    await waitFor('the grabber to run again', () => processState(grabber.pid) !== 'T', 2_000);
  });

  it('resumes the programs a crashed agent left paused when the agent starts again', async () => {
    builtFile('agent/platform/linux/desktop.js');
    await desktop.close();
    const recoveryFile = join(recoveryDir, 'crash.json');
    const killer = startClient(x.display, 'kill-loop.cjs', [], student);
    attackers.push(killer);
    await killer.waitForLine(/^ready/);
    const agent = spawn(process.execPath, [fixtures + 'contested-agent.mjs', recoveryFile], { env: { ...process.env, DISPLAY: x.display }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    agent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the agent to pause the killer', () => /^paused (.*)$/m.exec(out)?.[1]!.split(',').includes(String(killer.pid)), escalationMs + 5_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${out}`);
      });
      agent.kill('SIGKILL');
      await stopProcess(agent);
      // The crash left it paused, and the recovery file says so.
      expect(processState(killer.pid)).toBe('T');
      expect(existsSync(recoveryFile)).toBe(true);
    } finally {
      await stopProcess(agent);
    }

    const alive = aliveLines(killer);
    desktop = new LinuxDesktop({ display: x.display, recoveryFile, log: (line) => log.push({ at: Date.now(), line }) });
    await desktop.start();
    await waitFor('the killer to run again', () => processState(killer.pid) !== 'T' && aliveLines(killer) > alive + 1, 2_000);
    expect(existsSync(recoveryFile)).toBe(false);
    // Every program the crashed run paused (the killer, and any child it had at that moment).
    expect(
      log.some((l) => /lock\.programs-resumed count=[1-9]\d* reason=left-paused-by-previous-run/.test(l.line)),
      log.map((l) => l.line).join('\n'),
    ).toBe(true);
    // The unlock the crashed agent never did: the lock window died with its connection.
    await waitFor('no lock window left', async () => (await windowsNamed(x.display, 'SafeLab lock')).length === 0, 2_000);
  });
});
