// The lock screen on a real X server (Xvfb): it shows the teacher's message, no key or click gets
// through while it is up, everything works again after unlock, and a student who unmaps it,
// kills its connection or steals its grab gets it back in their face.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import { colours, renderLockPanel } from '../../../src/agent/platform/linux/panels.js';
import type { SessionDesktop } from '../../../src/agent/platform/session-desktop.js';
import { translate } from '../../../src/shared/i18n/index.js';
import {
  deliveryWaitMs,
  isViewable,
  near,
  pixel,
  reaches,
  requireXTools,
  screenshot,
  startClient,
  startXvfb,
  tool,
  waitFor,
  windowsNamed,
  type ClientProcess,
  type Xvfb,
} from './x-session.js';

/** The issue: "if a grab is lost or the window is unmapped or covered, the lock takes it back within a second". */
const recoveryDeadlineMs = 1_000;
/** Waiting for the events around a repair also waits for xdotool/xkill to start (not part of the repair time). */
const toolStartSlackMs = 3_000;

async function lockCover(display: string): Promise<number> {
  const [cover] = await waitFor('the lock window', () => windowsNamed(display, 'SafeLab lock').then((w) => (w.length === 1 ? w : null)));
  return cover!;
}

/** The lock is fully back: its cover is mapped and neither a key nor a click reaches `client`. */
async function lockIsBack(display: string, client: ClientProcess): Promise<boolean> {
  const cover = (await windowsNamed(display, 'SafeLab lock'))[0];
  if (cover === undefined || !(await isViewable(display, cover))) return false;
  return !(await reaches(display, client, 'key')) && !(await reaches(display, client, 'click'));
}

/**
 * Milliseconds from the attack to the lock fully back: the time `watch` saw the attack's event
 * (`attack` matches a stack-watch line whose last field is its time) to the later of the cover
 * being mapped/raised again (`repaired`, another stack-watch line) and the lock holding keyboard and
 * pointer again (its "lock.input-captured" line). Measured from the X event, not from starting the tool.
 */
async function repairTime(
  watch: ClientProcess,
  log: ReadonlyArray<{ at: number; line: string }>,
  attack: RegExp,
  repaired: (attackedAt: number) => RegExp,
  needsGrab = true,
): Promise<number> {
  const waitMs = recoveryDeadlineMs + toolStartSlackMs;
  const attackedAt = Number((await watch.waitForLine(attack, waitMs)).at(-1));
  const repairedAt = Number((await watch.waitForLine(repaired(attackedAt), waitMs)).at(-1));
  let capturedAt = 0;
  if (needsGrab) {
    const entry = await waitFor('the lock to hold keyboard and pointer again', () => log.find((l) => l.at >= attackedAt && l.line.startsWith('lock.input-captured')), waitMs, 5);
    capturedAt = entry.at;
  }
  return Math.max(repairedAt, capturedAt) - attackedAt;
}

/** A stack-watch line pattern for `kind` of window `wid` (any window when omitted), capturing its time. */
function watchLine(kind: 'map' | 'unmap' | 'destroy', wid?: number): RegExp {
  return new RegExp(`^${kind} ${wid ?? '\\d+'} (\\d+)$`);
}

describe('lock screen', () => {
  let x: Xvfb;
  let recorder: ClientProcess;
  let recorderWindow: number;
  let watch: ClientProcess;
  let desktop: SessionDesktop;
  const log: Array<{ at: number; line: string }> = [];
  const logText = (): string => log.map((l) => `${l.at} ${l.line}`).join('\n');

  beforeAll(async () => {
    requireXTools();
    x = await startXvfb(1280, 720);
    recorder = startClient(x.display, 'input-recorder.cjs', ['100', '100', '300', '200']);
    recorderWindow = Number((await recorder.waitForLine(/^ready (\d+)/))[1]);
    watch = startClient(x.display, 'stack-watch.cjs');
    await watch.waitForLine(/^ready/);
    desktop = await createLinuxDesktop({ display: x.display, log: (line) => log.push({ at: Date.now(), line }) });
  });

  afterAll(async () => {
    await desktop?.close();
    await watch?.stop();
    await recorder?.stop();
    await x?.stop();
  });

  beforeEach(async () => {
    await desktop.unlock();
  });

  it('blocks every key and click while locked, and lets them through again after unlock', async () => {
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
    expect(await reaches(x.display, recorder, 'click')).toBe(true);

    await desktop.lock('Hãy chú ý lên bảng');
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
    expect(await reaches(x.display, recorder, 'click')).toBe(false);
    // Alt+Tab and a window-manager style shortcut go to the lock too.
    const before = recorder.lines.length;
    await tool(x.display, 'xdotool', ['key', 'alt+Tab', 'super+d', 'ctrl+alt+t']);
    await new Promise((r) => setTimeout(r, deliveryWaitMs));
    expect(recorder.lines.length).toBe(before);

    await desktop.unlock();
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
    expect(await reaches(x.display, recorder, 'click')).toBe(true);
    expect(await windowsNamed(x.display, 'SafeLab lock')).toEqual([]);
  });

  it('shows the teacher message, with its Vietnamese letters, exactly as rendered, over the whole screen', async () => {
    const message = 'Khoá màn hình — Hãy chú ý lên bảng';
    await desktop.lock(message);
    const shot = await screenshot(x.display);
    for (const [px, py] of [[0, 0], [1279, 0], [0, 719], [1279, 719], [640, 20]] as const) {
      expect(near(pixel(shot, px, py), colours.lockCover, 0)).toBe(true);
    }
    // The panel on screen is pixel for pixel what sharp rendered (Pango shapes the diacritics;
    // a unit test checks they are real glyphs, not boxes).
    const panel = await renderLockPanel({ title: translate('vi', 'student.lock.title'), message, screenWidth: 1280, screenHeight: 720 });
    const left = Math.floor((1280 - panel.width) / 2);
    const top = Math.floor((720 - panel.height) / 2);
    let differing = 0;
    for (let py = 0; py < panel.height; py++) {
      for (let px = 0; px < panel.width; px++) {
        const want = pixel({ data: panel.data, width: panel.width, channels: panel.channels }, px, py);
        const got = pixel(shot, left + px, top + py);
        if (want.some((v, i) => Math.abs(v - got[i]!) > 2)) differing++;
      }
    }
    expect(differing).toBe(0);
  });

  it('changes the message when locked again, without unlocking in between', async () => {
    await desktop.lock('Một');
    const cover = await lockCover(x.display);
    const first = await screenshot(x.display);
    await desktop.lock('Hai — bài tiếp theo');
    const second = await screenshot(x.display);
    expect(await lockCover(x.display)).toBe(cover);
    expect(first.data.equals(second.data)).toBe(false);
    expect(await reaches(x.display, recorder, 'key')).toBe(false);
  });

  it('comes back within a second when another client unmaps the lock window', async () => {
    await desktop.lock('Đừng tắt khoá');
    const cover = await lockCover(x.display);
    watch.lines.length = 0;
    await tool(x.display, 'xdotool', ['windowunmap', String(cover)]);
    const ms = await repairTime(watch, log, watchLine('unmap', cover), () => watchLine('map', cover));
    expect(ms, logText()).toBeLessThanOrEqual(recoveryDeadlineMs);
    expect(await lockIsBack(x.display, recorder)).toBe(true);
  });

  it('comes back within a second when its X connection is killed (xkill)', async () => {
    await desktop.lock('Đừng tắt khoá');
    const cover = await lockCover(x.display);
    watch.lines.length = 0;
    await tool(x.display, 'xkill', ['-id', String(cover)]);
    // The server destroys a killed client's windows; the new cover is another window.
    const ms = await repairTime(watch, log, watchLine('destroy', cover), () => watchLine('map'));
    expect(ms, logText()).toBeLessThanOrEqual(recoveryDeadlineMs);
    const [fresh] = await windowsNamed(x.display, 'SafeLab lock');
    expect(fresh).not.toBe(cover);
    expect(await lockIsBack(x.display, recorder)).toBe(true);
    expect(log.some((l) => l.line.includes('desktop.x-connection-lost'))).toBe(true);
    // And unlock still works on the new connection.
    await desktop.unlock();
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
  });

  it('takes the keyboard and pointer back within a second from a client that grabbed them', async () => {
    await desktop.lock('Đừng tắt khoá');
    const cover = await lockCover(x.display);
    watch.lines.length = 0;
    const thief = startClient(x.display, 'grab-thief.cjs', [String(cover)]);
    try {
      const [, keyboard, pointer] = await thief.waitForLine(/^grabbed keyboard=(-?\d+) pointer=(-?\d+)/);
      // The theft really happened (0 = GrabSuccess), so what follows tests the take-back.
      expect([keyboard, pointer]).toEqual(['0', '0']);
      const ms = await repairTime(watch, log, watchLine('unmap', cover), () => watchLine('map', cover));
      expect(ms, `${logText()}\nthief: ${thief.lines.join(' | ')}`).toBeLessThanOrEqual(recoveryDeadlineMs);
      // Back means: the cover is up and no key reaches anyone, neither the student's window nor the thief.
      expect(await lockIsBack(x.display, recorder)).toBe(true);
      const before = thief.lines.length;
      await tool(x.display, 'xdotool', ['key', 'b']);
      await new Promise((r) => setTimeout(r, deliveryWaitMs));
      expect(thief.lines.length).toBe(before);
      expect(log.some((l) => l.line.startsWith('lock.grab-taken-back')), logText()).toBe(true);
    } finally {
      await thief.stop();
    }
  });

  it('is back on top within a second when another window is raised over it or appears above it', async () => {
    await desktop.lock('Đừng che khoá');
    const cover = await lockCover(x.display);
    watch.lines.length = 0;
    await tool(x.display, 'xdotool', ['windowraise', String(recorderWindow)]);
    const raised = await repairTime(watch, log, new RegExp(`^above ${recorderWindow} ${cover} (\\d+)$`), () => new RegExp(`^above ${cover} ${recorderWindow} (\\d+)$`), false);
    expect(raised, logText()).toBeLessThanOrEqual(recoveryDeadlineMs);

    // A window created after the lock starts above it: mapped, it would cover the lock.
    watch.lines.length = 0;
    const popup = startClient(x.display, 'colour-windows.cjs', ['0,0,1280,720,ff00ff']);
    try {
      await popup.waitForLine(/^ready/);
      const mapped = watch.lines.find((l) => l.startsWith('map '))!;
      const [, popupWindow, mappedAt] = mapped.split(' ');
      // Raised before the map arrived, or after it: either way the cover ends above the popup.
      const coverAbove = await waitFor(
        'the cover above the popup',
        () => watch.lines.find((l) => l.startsWith(`above ${cover} `) && Number(l.split(' ')[3]) >= Number(mappedAt) - recoveryDeadlineMs),
        recoveryDeadlineMs + toolStartSlackMs,
        5,
      );
      expect(Math.max(0, Number(coverAbove.split(' ')[3]) - Number(mappedAt))).toBeLessThanOrEqual(recoveryDeadlineMs);
      const children = (await tool(x.display, 'xwininfo', ['-root', '-children'])).split('\n').filter((l) => /^\s+0x[0-9a-f]+/.test(l));
      // xwininfo lists children top first: the cover is the first of the two.
      const index = (wid: number): number => children.findIndex((l) => l.trim().startsWith(`0x${wid.toString(16)} `));
      expect(index(cover)).toBeLessThan(index(Number(popupWindow)));
      expect(near(pixel(await screenshot(x.display), 640, 20), colours.lockCover, 0)).toBe(true);
    } finally {
      await popup.stop();
    }
  });

  it('puts the pointer back where it was and leaves no window behind on unlock', async () => {
    await tool(x.display, 'xdotool', ['mousemove', '321', '123']);
    await desktop.lock('Một phút');
    await tool(x.display, 'xdotool', ['mousemove', '900', '600']);
    await desktop.unlock();
    const where = await tool(x.display, 'xdotool', ['getmouselocation', '--shell']);
    expect(where).toMatch(/X=321\nY=123\n/);
    expect(await windowsNamed(x.display, 'SafeLab lock')).toEqual([]);
    expect(await reaches(x.display, recorder, 'key')).toBe(true);
  });
});

describe('lock screen when monitors change', () => {
  let x: Xvfb;
  let desktop: SessionDesktop;

  beforeAll(async () => {
    x = await startXvfb(1280, 720);
    // Only the left half is a monitor at first; the right one is plugged in while locked.
    await tool(x.display, 'xrandr', ['--setmonitor', 'left', '640/170x720/190+0+0', 'screen']);
    desktop = await createLinuxDesktop({ display: x.display });
  });

  afterAll(async () => {
    await desktop?.close();
    await x?.stop();
  });

  it('puts a message panel on a monitor added while locked', async () => {
    await desktop.lock('Màn hình mới cũng bị khoá');
    expect(await windowsNamed(x.display, 'SafeLab lock panel 1')).toEqual([]);
    await tool(x.display, 'xrandr', ['--setmonitor', 'right', '640/170x720/190+640+0', 'none']);
    const [panel] = await waitFor('a lock panel on the new monitor', () => windowsNamed(x.display, 'SafeLab lock panel 1').then((w) => (w.length ? w : null)));
    expect(await isViewable(x.display, panel!)).toBe(true);
    expect(desktop.sessionInfo().screens.map((s) => s.name)).toEqual(['left', 'right']);
    const shot = await screenshot(x.display);
    // The panel's accent-coloured border is centred on the right monitor too.
    const row = Array.from({ length: 640 }, (_, i) => pixel(shot, 640 + i, 360));
    expect(row.some((p) => near(p, colours.lockAccent, 40))).toBe(true);
    await desktop.unlock();
  });

  it('grows the cover when the screen grows while locked', async () => {
    await tool(x.display, 'xrandr', ['--delmonitor', 'right']);
    await tool(x.display, 'xrandr', ['--newmode', '800x600_test', '40', '800', '840', '968', '1056', '600', '601', '605', '628']);
    await tool(x.display, 'xrandr', ['--addmode', 'screen', '800x600_test']);
    await tool(x.display, 'xrandr', ['--output', 'screen', '--mode', '800x600_test']);
    await desktop.lock('Khoá');
    await tool(x.display, 'xrandr', ['--output', 'screen', '--mode', '1280x720']);
    await waitFor('the cover to cover 1280x720', async () => {
      const shot = await screenshot(x.display);
      return shot.width === 1280 && near(pixel(shot, 1270, 710), colours.lockCover, 0);
    });
    await desktop.unlock();
  });
});
