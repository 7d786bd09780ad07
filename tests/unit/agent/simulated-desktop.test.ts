// The simulated desktop draws a believable student screen as a real JPEG at the requested width,
// visibly different while locked, cheap to ask for twice in the same second.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadSharp, sharpThreadsPerImage } from '../../../src/agent/platform/sharp.js';
import { SimulatedDesktop, simulatedScreensFromEnv, simulatedUserFor } from '../../../src/agent/platform/simulated/desktop.js';
import { activityAt, activitySwitchIntervalMs, escapeXml, wrapText } from '../../../src/agent/platform/simulated/screen.js';

const at = Date.UTC(2026, 10, 23, 2, 15, 0);

async function brightness(jpeg: Buffer): Promise<number> {
  const stats = await sharp(jpeg).stats();
  return stats.channels.slice(0, 3).reduce((n, c) => n + c.mean, 0) / 3;
}

describe('simulated desktop', () => {
  it('renders a valid JPEG of the requested width with the screen aspect ratio', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'lab1-pc07', now: () => at });
    const image = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    const meta = await sharp(image.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 180 });
    expect([image.width, image.height, image.capturedAt]).toEqual([320, 180, at]);
  });

  it('never upscales beyond its 1366x768 screen', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'pc', now: () => at });
    const image = await desktop.capture({ width: 1920, quality: 50, screen: 'all' });
    expect([image.width, image.height]).toEqual([1366, 768]);
  });

  it('looks clearly different while locked', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'lab1-pc07', now: () => at });
    const open = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    await desktop.lock('Nhìn lên bảng');
    const locked = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    expect(await brightness(open.jpeg)).toBeGreaterThan(150);
    expect(await brightness(locked.jpeg)).toBeLessThan(60);
    await desktop.unlock();
    expect(await brightness((await desktop.capture({ width: 320, quality: 60, screen: 0 })).jpeg)).toBeGreaterThan(150);
  });

  it('shows the monitoring indicator when a lesson is on', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'pc', now: () => at });
    const before = await desktop.capture({ width: 640, quality: 80, screen: 0 });
    await desktop.setMonitoringIndicator({ visible: true, language: 'vi', className: '7A1' });
    const after = await desktop.capture({ width: 640, quality: 80, screen: 0 });
    // The badge is red, top right: compare that corner's red channel.
    const corner = async (jpeg: Buffer) =>
      (await sharp(await sharp(jpeg).extract({ left: 560, top: 32, width: 60, height: 14 }).toBuffer()).stats()).channels;
    const [b, a] = [await corner(before.jpeg), await corner(after.jpeg)];
    expect(a[0]!.mean - a[2]!.mean).toBeGreaterThan(b[0]!.mean - b[2]!.mean + 40);
  });

  it('serves a repeated request in the same second from its one-image cache', async () => {
    let now = at;
    const desktop = new SimulatedDesktop({ hostname: 'pc', now: () => now });
    const first = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    const second = await desktop.capture({ width: 320, quality: 60, screen: 0 });
    expect(second).toBe(first);
    expect(desktop.renderCount).toBe(1);
    await desktop.lock('');
    await desktop.capture({ width: 320, quality: 60, screen: 0 });
    now += 1000;
    await desktop.capture({ width: 320, quality: 60, screen: 0 });
    expect(desktop.renderCount).toBe(3);
  });

  it('draws nothing when it starts: an idle PC never renders', async () => {
    let clockReads = 0;
    const desktop = new SimulatedDesktop({ hostname: 'pc', now: () => (clockReads++, at) });
    await desktop.start();
    await desktop.lock('Nhìn lên bảng');
    await desktop.unlock();
    expect([clockReads, desktop.renderCount]).toEqual([0, 0]);
  });

  it('loads sharp without its operation cache and with one libvips thread per image', async () => {
    const sharpFactory = await loadSharp();
    expect(sharpFactory.concurrency()).toBe(sharpThreadsPerImage);
    expect(sharpFactory.cache()).toMatchObject({ memory: { max: 0 }, items: { max: 0 }, files: { max: 0 } });
  });

  it('refuses a screen it does not have', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'pc', now: () => at });
    await expect(desktop.capture({ width: 320, quality: 60, screen: 1 })).rejects.toThrow(/no screen 1/);
  });

  it('names its user after the machine number and has one primary monitor', () => {
    expect(simulatedUserFor('lab1-pc07')).toBe('hs07');
    expect(simulatedUserFor('MAY-12')).toBe('hs12');
    expect(simulatedUserFor('teacher')).toBe('hs01');
    const info = new SimulatedDesktop({ hostname: 'lab1-pc07' }).sessionInfo();
    expect(info).toEqual({ user: 'hs07', screens: [expect.objectContaining({ id: 0, width: 1366, height: 768, primary: true })] });
  });

  it('moves to another site or app every few seconds, from the clock alone', () => {
    const now = Math.floor(at / activitySwitchIntervalMs) * activitySwitchIntervalMs;
    expect(activityAt(now, 3)).toBe(activityAt(now + activitySwitchIntervalMs - 1, 3));
    expect(activityAt(now, 3)).not.toBe(activityAt(now + activitySwitchIntervalMs, 3));
    expect(activityAt(now, 3)).not.toBe(activityAt(now, 4));
  });

  it('cannot be broken by a teacher message that looks like markup', () => {
    expect(escapeXml('<b>"A" & \'B\'</b>')).toBe('&lt;b&gt;&quot;A&quot; &amp; &apos;B&apos;&lt;/b&gt;');
    const lines = wrapText('x'.repeat(500), 52, 6);
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.length <= 52)).toBe(true);
  });
});

describe('a simulated PC with two monitors', () => {
  it('reports both monitors side by side, the first as the main one', () => {
    const desktop = new SimulatedDesktop({ hostname: 'lab1-pc12', now: () => at, screens: 2 });
    expect(desktop.sessionInfo().screens).toEqual([
      expect.objectContaining({ id: 0, x: 0, y: 0, width: 1366, height: 768, primary: true }),
      expect.objectContaining({ id: 1, x: 1366, y: 0, width: 1366, height: 768, primary: false }),
    ]);
  });

  it('pictures the whole desktop or one monitor, each at its own aspect ratio', async () => {
    const desktop = new SimulatedDesktop({ hostname: 'lab1-pc12', now: () => at, screens: 2 });
    const whole = await desktop.capture({ width: 640, quality: 60, screen: 'all' });
    const second = await desktop.capture({ width: 640, quality: 60, screen: 1 });
    const first = await desktop.capture({ width: 640, quality: 60, screen: 0 });
    expect([whole.width, whole.height]).toEqual([640, 180]);
    expect([second.width, second.height]).toEqual([640, 360]);
    expect((await sharp(second.jpeg).metadata()).width).toBe(640);
    // Different apps on the two monitors: the pictures differ, and the cache never mixes them up.
    expect(Buffer.compare(first.jpeg, second.jpeg)).not.toBe(0);
    expect(desktop.renderCount).toBe(3);
    await expect(desktop.capture({ width: 640, quality: 60, screen: 2 })).rejects.toThrow('no screen 2 on this PC (it has 2)');
  });

  it('takes its monitor count from SAFELAB_SIMULATED_SCREENS, within 1 to 4', () => {
    expect(simulatedScreensFromEnv({ SAFELAB_SIMULATED_SCREENS: '2' })).toBe(2);
    expect(simulatedScreensFromEnv({})).toBe(1);
    expect(simulatedScreensFromEnv({ SAFELAB_SIMULATED_SCREENS: '9' })).toBe(1);
    expect(simulatedScreensFromEnv({ SAFELAB_SIMULATED_SCREENS: 'two' })).toBe(1);
    expect(() => new SimulatedDesktop({ hostname: 'pc', screens: 5 })).toThrow(/1 to 4 screens/);
  });
});
