// Screen capture on a real X server (Xvfb): thumbnails show what is on the screen, per monitor
// and for the whole desktop, and session info follows the screens.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScreenCapture } from '../../../src/agent/platform/linux/capture.js';
import { createLinuxDesktop, LinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import { readScreens } from '../../../src/agent/platform/linux/screens.js';
import { XConnection } from '../../../src/agent/platform/linux/x-connection.js';
import type { SessionInfo } from '../../../src/agent/platform/session-desktop.js';
import { decodeJpeg, near, pixel, requireXTools, startClient, startXvfb, tool, waitFor, type ClientProcess, type Xvfb } from './x-session.js';

const red = 0xff0000;
const blue = 0x0000ff;

describe('capture of one screen', () => {
  let x: Xvfb;
  let paint: ClientProcess;
  let desktop: LinuxDesktop;
  const log: string[] = [];

  beforeAll(async () => {
    requireXTools();
    x = await startXvfb(1280, 720);
    paint = startClient(x.display, 'colour-windows.cjs', ['0,0,640,720,ff0000', '640,0,640,720,0000ff']);
    await paint.waitForLine(/^ready/);
    desktop = new LinuxDesktop({ display: x.display, log: (l) => log.push(l) });
    await desktop.start();
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

  it('reads the screen through MIT-SHM, not over the X socket', async () => {
    const before = desktop.captureReads();
    await desktop.capture({ width: 320, quality: 61, screen: 0 });
    expect(desktop.captureReads()).toEqual({ ...before, shm: before.shm + 1 });
    expect(log.filter((l) => l.startsWith('capture.'))).toEqual([]);
  });

  it('reads the screen with node-screenshots when asked to, and leaves DISPLAY alone', async () => {
    const native = new LinuxDesktop({ display: x.display, capture: 'native', log: (l) => log.push(l) });
    await native.start();
    const saved = process.env['DISPLAY'];
    process.env['DISPLAY'] = ':4242';
    try {
      const image = await decodeJpeg((await native.capture({ width: 320, quality: 60, screen: 0 })).jpeg);
      expect(near(pixel(image, 80, 90), red)).toBe(true);
      // node-screenshots saw our display for the call only; the process keeps its own.
      expect(process.env['DISPLAY']).toBe(':4242');
    } finally {
      if (saved === undefined) delete process.env['DISPLAY'];
      else process.env['DISPLAY'] = saved;
      await native.close();
    }
    expect(native.captureReads()).toEqual({ shm: 0, getImage: 0, native: 1 });
  });

  it('keeps one shared-memory segment, not one per X connection, when its connection is killed again and again', async () => {
    const segments = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith('/dev/shm/safelab-x11-');
        } catch {
          return false;
        }
      }).length;
    await desktop.capture({ width: 320, quality: 64, screen: 0 });
    expect(segments()).toBe(1);
    for (let i = 0; i < 3; i++) {
      // xkill by a window of ours: the badge of a lesson.
      await desktop.setMonitoringIndicator({ visible: true, language: 'vi' });
      const [badge] = await waitFor('the badge', async () => {
        const out = await tool(x.display, 'xdotool', ['search', '--name', '^SafeLab monitoring indicator$']).catch(() => '');
        return out.trim() ? out.trim().split('\n') : null;
      });
      await tool(x.display, 'xkill', ['-id', badge!]);
      await waitFor('the desktop to reconnect', () => log.filter((l) => l.startsWith('desktop.connected')).length >= i + 2, 5_000);
      await desktop.capture({ width: 320, quality: 60 + (i % 2), screen: 0 });
    }
    expect(segments()).toBe(1);
    await desktop.setMonitoringIndicator({ visible: false, language: 'vi' });
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
  let desktop: LinuxDesktop;
  const log: string[] = [];

  beforeAll(async () => {
    x = await startXvfb(1280, 720);
    // Two RandR monitors on one framebuffer, the way Xvfb can have two: the left one driven by
    // the real output (node-screenshots sees it), the right one output-less (read with GetImage).
    await tool(x.display, 'xrandr', ['--setmonitor', 'left', '640/170x720/190+0+0', 'screen']);
    await tool(x.display, 'xrandr', ['--setmonitor', 'right', '640/170x720/190+640+0', 'none']);
    paint = startClient(x.display, 'colour-windows.cjs', ['0,0,640,720,ff0000', '640,0,640,720,0000ff']);
    await paint.waitForLine(/^ready/);
    desktop = new LinuxDesktop({ display: x.display, log: (l) => log.push(l) });
    await desktop.start();
  });

  afterAll(async () => {
    await desktop?.close();
    await paint?.stop();
    await x?.stop();
  });

  it('reads both monitors through MIT-SHM', async () => {
    const start = desktop.captureReads();
    await desktop.capture({ width: 320, quality: 62, screen: 0 });
    await desktop.capture({ width: 320, quality: 62, screen: 1 });
    await desktop.capture({ width: 320, quality: 63, screen: 'all' });
    expect(desktop.captureReads()).toEqual({ ...start, shm: start.shm + 4 });
    expect(log.filter((l) => l.startsWith('capture.'))).toEqual([]);
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

describe('capture fallbacks', () => {
  let x: Xvfb;
  let paint: ClientProcess;

  beforeAll(async () => {
    // Also on TCP: a display reached over the network, where no shared memory can be attached.
    x = await startXvfb(640, 360, { tcp: true });
    paint = startClient(x.display, 'colour-windows.cjs', ['0,0,320,360,ff0000', '320,0,320,360,0000ff']);
    await paint.waitForLine(/^ready/);
  });

  afterAll(async () => {
    await paint?.stop();
    await x?.stop();
  });

  it('reads a display without MIT-SHM with GetImage, and says why once', async () => {
    const log: string[] = [];
    const desktop = new LinuxDesktop({ display: `127.0.0.1${x.display}`, log: (l) => log.push(l) });
    await desktop.start();
    try {
      const image = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 0 })).jpeg);
      await desktop.capture({ width: 320, quality: 61, screen: 0 });
      expect(near(pixel(image, 80, 90), red)).toBe(true);
      expect(near(pixel(image, 240, 90), blue)).toBe(true);
      expect(desktop.captureReads()).toEqual({ shm: 0, getImage: 2, native: 0 });
      expect(log.filter((l) => l.startsWith('capture.'))).toEqual([
        'capture.shm-unavailable reason="MIT-SHM is present but a shared segment does not attach (remote display, or no /dev/shm)" (reading the screen with GetImage)',
      ]);
    } finally {
      await desktop.close();
    }
  });

  it('reads by bands when node-screenshots does not load, and logs why once', async () => {
    const conn = await XConnection.open(x.display);
    try {
      const log: string[] = [];
      const capture = new ScreenCapture({ DISPLAY: x.display }, () => conn, {
        source: 'native',
        log: (l) => log.push(l),
        loadNative: () => {
          throw new Error('screen capture is unavailable: node-screenshots did not load (libxcb.so.1: cannot open shared object file)');
        },
      });
      const screens = await readScreens(conn);
      const first = await decodeJpeg((await capture.capture({ width: 320, quality: 60, screen: 0 }, screens)).jpeg);
      await capture.capture({ width: 320, quality: 61, screen: 0 }, screens);
      expect(near(pixel(first, 80, 90), red)).toBe(true);
      expect(near(pixel(first, 240, 90), blue)).toBe(true);
      expect(capture.reads()).toEqual({ shm: 2, getImage: 0, native: 0 });
      expect(log).toEqual(['capture.native-unavailable reason="screen capture is unavailable: node-screenshots did not load (libxcb.so.1: cannot open shared object file)"']);
    } finally {
      conn.close();
    }
  });

  it('reads by bands when node-screenshots is stuck on an X server that has gone (it never reconnects), saying why once', async () => {
    // node-screenshots opens one X connection for the life of the process, on the first display
    // it is used with. Make that a server that then stops, as Xorg does at every logout.
    const gone = await startXvfb(320, 180);
    const first = new LinuxDesktop({ display: gone.display, capture: 'native' });
    await first.start();
    await first.capture({ width: 160, quality: 60, screen: 0 }).catch(() => undefined);
    await first.close();
    await gone.stop();

    const log: string[] = [];
    const desktop = new LinuxDesktop({ display: x.display, capture: 'native', log: (l) => log.push(l) });
    await desktop.start();
    try {
      const image = await decodeJpeg((await desktop.capture({ width: 320, quality: 60, screen: 0 })).jpeg);
      await desktop.capture({ width: 320, quality: 61, screen: 0 });
      expect(near(pixel(image, 80, 90), red)).toBe(true);
      expect(desktop.captureReads()).toEqual({ shm: 2, getImage: 0, native: 0 });
      const lines = log.filter((l) => l.startsWith('capture.'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^capture\.native-(unavailable|failed) .*reason="xcb connection error"/);
    } finally {
      await desktop.close();
    }
  });
});

describe('an X server that wants a cookie, as display managers start them', () => {
  let x: Xvfb;
  let dir: string;
  let authFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    authFile = join(dir, 'server-auth');
    // The server's -auth file: one wildcard MIT-MAGIC-COOKIE-1 (what `xauth add :N . COOKIE` writes).
    const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    const cookie = randomBytes(16);
    writeFileSync(authFile, Buffer.concat([Buffer.from([0xff, 0xff]), field(Buffer.alloc(0)), field(Buffer.alloc(0)), field(Buffer.from('MIT-MAGIC-COOKIE-1')), field(cookie)]), { mode: 0o600 });
    x = await startXvfb(320, 180, { auth: authFile });
  });

  afterAll(async () => {
    await x?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses us without the cookie and lets us in with the Xauthority file a service found', async () => {
    const saved = process.env['XAUTHORITY'];
    process.env['XAUTHORITY'] = join(dir, 'none');
    try {
      await expect(createLinuxDesktop({ display: x.display })).rejects.toThrow(/cannot use X display .*refused|authori[sz]ation/i);
    } finally {
      if (saved === undefined) delete process.env['XAUTHORITY'];
      else process.env['XAUTHORITY'] = saved;
    }
    const desktop = new LinuxDesktop({ display: x.display, xauthority: authFile });
    await desktop.start();
    try {
      const shot = await desktop.capture({ width: 160, quality: 60, screen: 0 });
      expect([shot.width, shot.height]).toEqual([160, 90]);
    } finally {
      await desktop.close();
    }
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
