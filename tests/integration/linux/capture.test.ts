// Screen capture on a real X server (Xvfb): thumbnails show what is on the screen, per monitor
// and for the whole desktop, and session info follows the screens.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import type { SessionDesktop, SessionInfo } from '../../../src/agent/platform/session-desktop.js';
import { decodeJpeg, near, pixel, startClient, startXvfb, tool, waitFor, type ClientProcess, type Xvfb } from './x-session.js';

const red = 0xff0000;
const blue = 0x0000ff;

describe('capture of one screen', () => {
  let x: Xvfb;
  let paint: ClientProcess;
  let desktop: SessionDesktop;

  beforeAll(async () => {
    x = await startXvfb(1280, 720);
    paint = startClient(x.display, 'colour-windows.cjs', ['0,0,640,720,ff0000', '640,0,640,720,0000ff']);
    await paint.waitForLine(/^ready/);
    desktop = await createLinuxDesktop({ display: x.display });
  });

  afterAll(async () => {
    await desktop?.close();
    await paint?.stop();
    await x?.stop();
  });

  it('returns a JPEG thumbnail of the requested width that shows what is on the screen', async () => {
    const shot = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    expect(shot.jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect([shot.width, shot.height]).toEqual([320, 180]);
    const image = await decodeJpeg(shot.jpeg);
    expect([image.width, image.height]).toEqual([320, 180]);
    expect(near(pixel(image, 80, 90), red)).toBe(true);
    expect(near(pixel(image, 240, 90), blue)).toBe(true);
  });

  it('never scales a screen up', async () => {
    const shot = await desktop.capture({ width: 1920, quality: 50, screen: 'all' });
    expect([shot.width, shot.height]).toEqual([1280, 720]);
  });

  it('smaller quality gives a smaller JPEG', async () => {
    const low = await desktop.capture({ width: 640, quality: 20, screen: 0 });
    const high = await desktop.capture({ width: 640, quality: 95, screen: 0 });
    expect(low.jpeg.length).toBeLessThan(high.jpeg.length);
  });

  it('reuses the last thumbnail while nothing moved, and shows a change at once', async () => {
    const first = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    const again = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    expect(again.jpeg).toBe(first.jpeg); // the very same buffer: the screen was not read again
    const green = startClient(x.display, 'colour-windows.cjs', ['0,0,640,720,00ff00']);
    try {
      await green.waitForLine(/^ready/);
      const changed = await desktop.capture({ width: 320, quality: 60, screen: 0 });
      expect(near(pixel(await decodeJpeg(changed.jpeg), 80, 90), 0x00ff00)).toBe(true);
    } finally {
      await green.stop();
    }
    const after = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 0 })).jpeg);
    expect(near(pixel(after, 80, 90), red)).toBe(true);
  });

  it('refuses a screen the PC does not have, saying how many it has', async () => {
    await expect(desktop.capture({ width: 320, quality: 60, screen: 3 })).rejects.toThrow(/no screen 3 \(this PC has 1\)/);
  });

  it('reports the signed-in user and the screen in session info', () => {
    const info = desktop.sessionInfo();
    expect(info.user).toBeTruthy();
    expect(info.screens).toEqual([{ id: 0, name: expect.any(String), x: 0, y: 0, width: 1280, height: 720, primary: true }]);
  });

  it('tells the agent when the screen size changes (RandR)', async () => {
    const changes: SessionInfo[] = [];
    const unsubscribe = desktop.onSessionChange((info) => changes.push(info));
    try {
      await tool(x.display, 'xrandr', ['--newmode', '800x600_test', '40', '800', '840', '968', '1056', '600', '601', '605', '628']);
      await tool(x.display, 'xrandr', ['--addmode', 'screen', '800x600_test']);
      await tool(x.display, 'xrandr', ['--output', 'screen', '--mode', '800x600_test']);
      const smaller = await waitFor('a session change to 800x600', () => changes.find((c) => c.screens[0]?.width === 800));
      expect(smaller.screens[0]).toMatchObject({ width: 800, height: 600 });
      await tool(x.display, 'xrandr', ['--output', 'screen', '--mode', '1280x720']);
      await waitFor('a session change back to 1280x720', () => desktop.sessionInfo().screens[0]?.width === 1280);
    } finally {
      unsubscribe();
    }
  });
});

describe('capture of two monitors', () => {
  let x: Xvfb;
  let paint: ClientProcess;
  let desktop: SessionDesktop;

  beforeAll(async () => {
    x = await startXvfb(1280, 720);
    // Two RandR monitors on one framebuffer, the way Xvfb can have two: the left one driven by
    // the real output (node-screenshots sees it), the right one output-less (read with GetImage).
    await tool(x.display, 'xrandr', ['--setmonitor', 'left', '640/170x720/190+0+0', 'screen']);
    await tool(x.display, 'xrandr', ['--setmonitor', 'right', '640/170x720/190+640+0', 'none']);
    paint = startClient(x.display, 'colour-windows.cjs', ['0,0,640,720,ff0000', '640,0,640,720,0000ff']);
    await paint.waitForLine(/^ready/);
    desktop = await createLinuxDesktop({ display: x.display });
  });

  afterAll(async () => {
    await desktop?.close();
    await paint?.stop();
    await x?.stop();
  });

  it('lists both monitors, left to right, the first as primary', () => {
    expect(desktop.sessionInfo().screens).toEqual([
      { id: 0, name: 'left', x: 0, y: 0, width: 640, height: 720, primary: true },
      { id: 1, name: 'right', x: 640, y: 0, width: 640, height: 720, primary: false },
    ]);
  });

  it('gives one capture per monitor, each of its own size and content', async () => {
    const left = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 0 })).jpeg);
    const right = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 1 })).jpeg);
    expect([left.width, left.height]).toEqual([320, 360]);
    expect([right.width, right.height]).toEqual([320, 360]);
    expect(near(pixel(left, 160, 180), red)).toBe(true);
    expect(near(pixel(right, 160, 180), blue)).toBe(true);
  });

  it('puts both monitors side by side in a whole-desktop capture', async () => {
    const all = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 'all' })).jpeg);
    expect([all.width, all.height]).toEqual([320, 180]);
    expect(near(pixel(all, 60, 90), red)).toBe(true);
    expect(near(pixel(all, 260, 90), blue)).toBe(true);
  });
});

describe('starting the Linux desktop', () => {
  it('says which display it cannot reach', async () => {
    await expect(createLinuxDesktop({ display: ':4097' })).rejects.toThrow(/cannot use X display :4097: no X server is listening/);
  });

  it('says DISPLAY is missing when there is no display at all', async () => {
    const saved = process.env['DISPLAY'];
    delete process.env['DISPLAY'];
    try {
      await expect(createLinuxDesktop({})).rejects.toThrow(/DISPLAY is not set/);
    } finally {
      if (saved !== undefined) process.env['DISPLAY'] = saved;
    }
  });
});
