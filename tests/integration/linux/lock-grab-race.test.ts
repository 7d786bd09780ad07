// A race CI hit once: the lock reads its cover as mapped, a grab thief then unmaps the cover and
// grabs keyboard and pointer in one batch, and the lock's grab attempt is refused. By the time the
// lock has broken the thief's grab, the cover is no longer viewable, so every grab attempt answered
// NotViewable: the lock then hid the student's windows one after another for nothing and reported
// the input as not captured, until its next check mapped the cover again.
//
// Here the race is made certain with a real X server: the lock's grab breaker (its only
// test-controlled part) releases the thief's grabs and unmaps the cover before the lock tries
// again. The lock must map its cover and take the input back at once, hiding nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScreenLock, type LockContent } from '../../../src/agent/platform/linux/lock.js';
import { createOverlay } from '../../../src/agent/platform/linux/overlay-window.js';
import { readScreens } from '../../../src/agent/platform/linux/screens.js';
import { grabStatus, XConnection } from '../../../src/agent/platform/linux/x-connection.js';
import { isViewable, requireXTools, startXvfb, waitFor, type Xvfb } from './x-session.js';

describe('lock grab race', () => {
  let x: Xvfb;
  let conn: XConnection;
  let thief: XConnection;
  let lock: ScreenLock | undefined;

  beforeAll(async () => {
    requireXTools(['Xvfb', 'xwininfo']);
    x = await startXvfb(800, 600);
    conn = await XConnection.open(x.display);
    thief = await XConnection.open(x.display);
  });

  afterAll(async () => {
    lock?.dispose();
    thief?.close();
    conn?.close();
    await x?.stop();
  });

  it('maps its cover again before grabbing when the cover was unmapped under it, and hides no window', async () => {
    const log: string[] = [];
    const hiddenWindows = new Set<number>();
    const breaks: string[] = [];
    let cover = 0;
    // A student's window that must stay on screen (the lock used to hide it while its cover was down).
    const student = createOverlay(thief, { rect: { x: 10, y: 10, width: 200, height: 150 }, background: 0x3366cc, name: 'student window' });
    thief.mapWindow(student);
    await thief.sync();

    lock = new ScreenLock(conn, {
      log: (line) => log.push(line),
      readScreens: () => readScreens(conn),
      onScreens: () => undefined,
      ownWindows: () => [],
      hiddenWindows,
      onLoss: (kind) => log.push(`loss ${kind}`),
      onInputProblem: (problem) => log.push(`input-problem ${problem}`),
      breakGrabs: async (action) => {
        breaks.push(action);
        if (action !== 'ungrab') return false;
        // What XKB's ungrab action does to the thief, and the thief striking again before the
        // lock's next grab: its cover goes down.
        thief.ungrabKeyboard();
        thief.ungrabPointer();
        thief.unmapWindow(cover);
        await thief.sync();
        return true;
      },
      contested: () => false,
      studentPaused: async () => undefined,
    });
    conn.on('event', (ev) => lock!.handleEvent(ev));
    const panel = { data: Buffer.alloc(4 * 4 * conn.pixelBytes), width: 4, height: 4 };
    const content: LockContent = { panelFor: async () => panel };
    await lock.engage(content, await readScreens(conn));
    expect(await lock.inputSettled()).toBe(true);
    [cover] = lock.windows();

    // The theft, in one batch as a hostile client sends it: the unmap ends the lock's grabs and the
    // thief's grabs are handled before the lock can react.
    thief.unmapWindow(cover!);
    const [keyboard, pointer] = await Promise.all([thief.grabKeyboard(student), thief.grabPointer(student, 0, 0)]);
    expect([keyboard, pointer]).toEqual([grabStatus.success, grabStatus.success]);

    await waitFor('the lock to take the input back', () => log.some((l) => l.startsWith('lock.grab-taken-back')), 3_000, 10);
    expect(log.find((l) => l.startsWith('lock.grab-taken-back')), log.join('\n')).toBe('lock.grab-taken-back method=xkb-ungrab hidden=0');
    expect(breaks).toEqual(['ungrab']);
    expect(log).toContain('lock.cover-remapped reason=grab-not-viewable');
    expect(log.some((l) => l.startsWith('lock.grab-incomplete')), log.join('\n')).toBe(false);
    expect(log).not.toContain('input-problem true');
    expect(lock.inputCaptured).toBe(true);
    expect(hiddenWindows.size).toBe(0);
    expect(await isViewable(x.display, student)).toBe(true);
    expect(await isViewable(x.display, cover!)).toBe(true);
    // And the thief really lost: its own grab attempt is refused now.
    expect(await thief.grabKeyboard(student)).toBe(grabStatus.alreadyGrabbed);

    await lock.release();
    expect(await thief.grabKeyboard(student)).toBe(grabStatus.success);
    thief.ungrabKeyboard();
  });
});
