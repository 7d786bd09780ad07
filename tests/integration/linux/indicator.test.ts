// The monitoring badge and teacher messages on a real X server (Xvfb): both show up, neither
// takes the keyboard or eats clicks meant for the student's work, and both go away.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxDesktop } from '../../../src/agent/platform/linux/desktop.js';
import { badgeMarginPx } from '../../../src/agent/platform/linux/indicator.js';
import { colours, renderBadge } from '../../../src/agent/platform/linux/panels.js';
import type { SessionDesktop } from '../../../src/agent/platform/session-desktop.js';
import { translate } from '../../../src/shared/i18n/index.js';
import { delivered, isViewable, near, pixel, screenshot, startClient, startXvfb, tool, waitFor, windowsNamed, type ClientProcess, type Xvfb } from './x-session.js';

async function geometry(display: string, wid: number): Promise<{ x: number; y: number; width: number; height: number }> {
  const out = await tool(display, 'xwininfo', ['-id', String(wid)]);
  const num = (label: string): number => Number(out.match(new RegExp(`${label}:\\s+(-?\\d+)`))![1]);
  return { x: num('Absolute upper-left X'), y: num('Absolute upper-left Y'), width: num('Width'), height: num('Height') };
}

describe('monitoring indicator and teacher messages', () => {
  let x: Xvfb;
  let desktop: SessionDesktop;
  // A window of the student's work right under the top-right corner, where the badge goes.
  let work: ClientProcess;

  beforeAll(async () => {
    x = await startXvfb(1280, 720);
    work = startClient(x.display, 'input-recorder.cjs', ['880', '0', '400', '300']);
    await work.waitForLine(/^ready/);
    desktop = await createLinuxDesktop({ display: x.display });
  });

  afterAll(async () => {
    await desktop?.close();
    await work?.stop();
    await x?.stop();
  });

  it('shows the Vietnamese badge in the top-right corner during a lesson and removes it after', async () => {
    await desktop.setMonitoringIndicator({ visible: true, language: 'vi' });
    const [badge] = await windowsNamed(x.display, 'SafeLab monitoring indicator');
    expect(badge).toBeDefined();
    expect(await isViewable(x.display, badge!)).toBe(true);
    const picture = await renderBadge(translate('vi', 'student.indicator.monitored'), 720);
    const where = await geometry(x.display, badge!);
    expect(where).toEqual({ x: 1280 - picture.width - badgeMarginPx, y: badgeMarginPx, width: picture.width, height: picture.height });
    // What is on screen is the rendered Vietnamese text, pixel for pixel.
    const shot = await screenshot(x.display);
    let differing = 0;
    for (let py = 0; py < picture.height; py++) {
      for (let px = 0; px < picture.width; px++) {
        const want = pixel({ data: picture.data, width: picture.width, channels: picture.channels }, px, py);
        const got = pixel(shot, where.x + px, where.y + py);
        if (want.some((v, i) => Math.abs(v - got[i]!) > 2)) differing++;
      }
    }
    expect(differing).toBe(0);

    await desktop.setMonitoringIndicator({ visible: false, language: 'vi' });
    expect(await windowsNamed(x.display, 'SafeLab monitoring indicator')).toEqual([]);
    const after = await screenshot(x.display);
    expect(near(pixel(after, where.x + 2, where.y + 2), colours.badgeBackground, 0)).toBe(false);
  });

  it('speaks English when the lesson is in English', async () => {
    await desktop.setMonitoringIndicator({ visible: true, language: 'en' });
    const [badge] = await windowsNamed(x.display, 'SafeLab monitoring indicator');
    const english = await renderBadge(translate('en', 'student.indicator.monitored'), 720);
    const vietnamese = await renderBadge(translate('vi', 'student.indicator.monitored'), 720);
    expect(english.width).not.toBe(vietnamese.width);
    expect((await geometry(x.display, badge!)).width).toBe(english.width);
    await desktop.setMonitoringIndicator({ visible: false, language: 'en' });
  });

  it('lets clicks and keys through to the student work under it', async () => {
    await desktop.setMonitoringIndicator({ visible: true, language: 'vi' });
    const [badge] = await windowsNamed(x.display, 'SafeLab monitoring indicator');
    const where = await geometry(x.display, badge!);
    const cx = String(where.x + Math.floor(where.width / 2));
    const cy = String(where.y + Math.floor(where.height / 2));
    expect(await delivered(work, () => tool(x.display, 'xdotool', ['mousemove', cx, cy, 'click', '1']))).toBe(true);
    expect(work.lines[work.lines.length - 1]).toBe('button 1');
    expect(await delivered(work, () => tool(x.display, 'xdotool', ['key', 'a']))).toBe(true);
    await desktop.setMonitoringIndicator({ visible: false, language: 'vi' });
  });

  it('stays above a window that is raised over it, and comes back if someone unmaps it', async () => {
    await desktop.setMonitoringIndicator({ visible: true, language: 'vi' });
    const [badge] = await windowsNamed(x.display, 'SafeLab monitoring indicator');
    const cover = startClient(x.display, 'colour-windows.cjs', ['1000,0,280,100,00ff00']);
    try {
      await cover.waitForLine(/^ready/);
      await waitFor('the badge on top again', async () => {
        const shot = await screenshot(x.display);
        const where = await geometry(x.display, badge!);
        return near(pixel(shot, where.x + 2, where.y + 2), colours.badgeBackground, 0);
      });
      await tool(x.display, 'xdotool', ['windowunmap', String(badge)]);
      await waitFor('the badge back', async () => {
        const now = await windowsNamed(x.display, 'SafeLab monitoring indicator');
        return now.length === 1 && (await isViewable(x.display, now[0]!));
      });
    } finally {
      await cover.stop();
      await desktop.setMonitoringIndicator({ visible: false, language: 'vi' });
    }
  });

  it('shows a teacher message without taking the keyboard, and closes it on a click', async () => {
    await desktop.showMessage('Các em mở bài 5 trang 42 nhé.', 'Cô Lan');
    const [box] = await windowsNamed(x.display, 'SafeLab teacher message');
    expect(box).toBeDefined();
    expect(await isViewable(x.display, box!)).toBe(true);
    // Typing still reaches the student's focused window.
    expect(await delivered(work, () => tool(x.display, 'xdotool', ['key', 'a']))).toBe(true);
    const where = await geometry(x.display, box!);
    await tool(x.display, 'xdotool', ['mousemove', String(where.x + 10), String(where.y + 10), 'click', '1']);
    await waitFor('the message to close', async () => (await windowsNamed(x.display, 'SafeLab teacher message')).length === 0);
  });

  it('replaces the message on screen with a newer one', async () => {
    await desktop.showMessage('Tin thứ nhất');
    await desktop.showMessage('Tin thứ hai');
    expect(await windowsNamed(x.display, 'SafeLab teacher message')).toHaveLength(1);
  });
});
