// The lock under a real window manager (openbox, reparenting, with Debian's own shortcuts):
// Alt+Tab, Alt+F4 and Super+D do something on this desktop, and nothing while it is locked;
// windows the lock had to hide come back framed, and the keyboard focus returns where it was.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import {
  focusedWindow,
  isViewable,
  requireXTools,
  startClient,
  startWindowManager,
  startXvfb,
  tool,
  waitFor,
  windowsNamed,
  type ClientProcess,
  type WindowManager,
  type Xvfb,
} from './x-session.js';

/** How long a shortcut gets to have an effect (openbox answers within milliseconds). */
const settleMs = 500;

/** The window-manager shortcuts a student would try on the lock. */
const shortcuts = ['alt+Tab', 'alt+F4', 'super+d'] as const;

const keyLines = (c: ClientProcess): number => c.lines.filter((l) => l.startsWith('key')).length;

/** Is the window's parent the root (unmanaged) or a window-manager frame? */
async function framed(display: string, wid: number): Promise<boolean> {
  const out = await tool(display, 'xwininfo', ['-id', String(wid), '-tree']);
  const parent = /Parent window id: (0x[0-9a-f]+)/.exec(out)?.[1];
  return parent !== undefined && !/\(the root window\)/.test(out.split('\n').find((l) => l.includes('Parent window id')) ?? '');
}

describe('lock under a window manager (openbox)', () => {
  let x: Xvfb;
  let wm: WindowManager;
  let first: ClientProcess;
  let second: ClientProcess;
  let firstWindow: number;
  let secondWindow: number;
  let desktop: LinuxDesktop | null = null;
  const log: string[] = [];

  beforeAll(async () => {
    requireXTools();
    x = await startXvfb(1280, 720);
    wm = await startWindowManager(x.display);
    first = startClient(x.display, 'input-recorder.cjs');
    firstWindow = Number((await first.waitForLine(/^ready (\d+)/))[1]);
    second = startClient(x.display, 'input-recorder.cjs');
    secondWindow = Number((await second.waitForLine(/^ready (\d+)/))[1]);
    await waitFor('openbox to frame both windows', async () => (await framed(x.display, firstWindow)) && (await framed(x.display, secondWindow)));
  });

  afterEach(async () => {
    await desktop?.close();
    desktop = null;
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await wm?.stop();
    await x?.stop();
  });

  it('has working shortcuts when unlocked, so the locked checks below could fail', async () => {
    // On a loaded machine openbox now and then lets an Alt+Tab pass without switching (seen about
    // once in a dozen runs of this directory). This check is only here to prove the shortcut does
    // something when unlocked, so it gets a second try from the same starting point.
    for (let attempt = 1; ; attempt++) {
      await tool(x.display, 'xdotool', ['windowactivate', '--sync', String(secondWindow)]);
      await tool(x.display, 'xdotool', ['key', 'alt+Tab']);
      const moved = await waitFor('Alt+Tab to move the focus', async () => (await focusedWindow(x.display)) === firstWindow, settleMs * 4).then(
        () => true,
        (error: Error) => {
          if (attempt >= 2) throw error;
          return false;
        },
      );
      if (moved) break;
    }
    await tool(x.display, 'xdotool', ['key', 'super+d']);
    await waitFor('Super+D to hide the windows', async () => !(await isViewable(x.display, firstWindow)), settleMs * 4);
    await tool(x.display, 'xdotool', ['key', 'super+d']);
    await waitFor('Super+D to show them again', async () => isViewable(x.display, firstWindow), settleMs * 4);
    const doomed = startClient(x.display, 'input-recorder.cjs');
    const doomedWindow = Number((await doomed.waitForLine(/^ready (\d+)/))[1]);
    try {
      await waitFor('the new window focused', async () => (await focusedWindow(x.display)) === doomedWindow, settleMs * 4);
      await tool(x.display, 'xdotool', ['key', 'alt+F4']);
      await waitFor('Alt+F4 to close it', async () => !(await windowsNamed(x.display, 'input recorder')).includes(doomedWindow), settleMs * 4);
    } finally {
      await doomed.stop();
    }
  });

  it('lets no window-manager shortcut act while locked, and gives back the windows and the focus on unlock', async () => {
    await tool(x.display, 'xdotool', ['windowactivate', '--sync', String(secondWindow)]);
    desktop = new LinuxDesktop({ display: x.display, log: (l) => log.push(l) });
    await desktop.start();
    await desktop.lock('Nhìn lên bảng');
    expect(desktop.lockIssue()).toBeNull();
    const keysBefore = [keyLines(first), keyLines(second)];
    for (const keys of shortcuts) await tool(x.display, 'xdotool', ['key', keys]);
    await tool(x.display, 'xdotool', ['type', 'abc']);
    await new Promise((r) => setTimeout(r, settleMs));
    // Nothing was closed, hidden or switched, and no key reached a window.
    expect(await isViewable(x.display, firstWindow)).toBe(true);
    expect(await isViewable(x.display, secondWindow)).toBe(true);
    expect([keyLines(first), keyLines(second)]).toEqual(keysBefore);

    await desktop.unlock();
    expect(await windowsNamed(x.display, 'SafeLab lock')).toEqual([]);
    expect(await focusedWindow(x.display)).toBe(secondWindow);
    expect(await isViewable(x.display, firstWindow)).toBe(true);
    expect(await isViewable(x.display, secondWindow)).toBe(true);
    // The student carries on typing where they were.
    await tool(x.display, 'xdotool', ['key', 'a']);
    await waitFor('the key in the focused window', () => keyLines(second) > keysBefore[1]!, settleMs * 4);
    // And the shortcuts work again.
    await tool(x.display, 'xdotool', ['key', 'alt+Tab']);
    await waitFor('Alt+Tab to work again', async () => (await focusedWindow(x.display)) === firstWindow, settleMs * 4);
  });

  it('hides a framed window whose grab it cannot otherwise break, and on unlock it comes back framed and the focus returns', async () => {
    // Without the X server's grab-break keys, hiding the grabbing window is the way left.
    desktop = new LinuxDesktop({ display: x.display, xkbGrabBreak: false, log: (l) => log.push(l) });
    await desktop.start();
    const grabber = startClient(x.display, 'window-grabber.cjs');
    try {
      const grabberWindow = Number((await grabber.waitForLine(/^ready (\d+)/))[1]);
      await grabber.waitForLine(/^grabbed keyboard=0 pointer=0/);
      await waitFor('openbox to frame the grabbing window', () => framed(x.display, grabberWindow));
      // The student was typing in the first window while the other held the grab.
      await tool(x.display, 'xdotool', ['windowfocus', '--sync', String(firstWindow)]);

      log.length = 0;
      await desktop.lock('Khoá');
      expect(desktop.lockIssue(), log.join('\n')).toBeNull();
      expect(log.some((l) => l.startsWith('lock.grab-taken-back method=hide-windows'))).toBe(true);
      expect(await isViewable(x.display, grabberWindow)).toBe(false);
      const keys = keyLines(grabber);
      await tool(x.display, 'xdotool', ['key', 'b']);
      await new Promise((r) => setTimeout(r, settleMs));
      expect(keyLines(grabber)).toBe(keys);

      await desktop.unlock();
      await waitFor('the hidden window back, framed', async () => (await isViewable(x.display, grabberWindow)) && (await framed(x.display, grabberWindow)), settleMs * 4);
      expect(await focusedWindow(x.display)).toBe(firstWindow);
    } finally {
      await grabber.stop();
    }
  });
});
