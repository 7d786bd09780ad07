// Pixel plumbing between sharp and the X server, and the small pure rules of the Linux desktop.

import { describe, expect, it } from 'vitest';
import { messageVisibleMs } from '../../../src/agent/platform/linux/message.js';
import { desktopBounds, sameScreens, type Screen } from '../../../src/agent/platform/linux/screens.js';
import { pixelValue, toZPixmap } from '../../../src/agent/platform/linux/zpixmap.js';

const rgb = { data: Buffer.from([0x11, 0x22, 0x33, 0xaa, 0xbb, 0xcc]), width: 2, height: 1, channels: 3 as const };

describe('ZPixmap conversion', () => {
  it('writes B,G,R,pad for a little-endian 24-bit server', () => {
    expect([...toZPixmap(rgb, { pixelBytes: 4, msbFirst: false, depth: 24 })]).toEqual([0x33, 0x22, 0x11, 0, 0xcc, 0xbb, 0xaa, 0]);
  });

  it('writes pad,R,G,B for a big-endian server', () => {
    expect([...toZPixmap(rgb, { pixelBytes: 4, msbFirst: true, depth: 24 })]).toEqual([0, 0x11, 0x22, 0x33, 0, 0xaa, 0xbb, 0xcc]);
  });

  it('packs RGB565 for a 16-bit server', () => {
    const white = { data: Buffer.from([255, 255, 255]), width: 1, height: 1, channels: 3 as const };
    expect([...toZPixmap(white, { pixelBytes: 2, msbFirst: false, depth: 16 })]).toEqual([0xff, 0xff]);
    expect(pixelValue(0xff0000, { pixelBytes: 2, msbFirst: false, depth: 16 })).toBe(0xf800);
  });

  it('refuses pixel formats it cannot write', () => {
    expect(() => toZPixmap(rgb, { pixelBytes: 1, msbFirst: false, depth: 8 })).toThrow(/unsupported X pixel format/);
  });
});

describe('screens', () => {
  const screen = (id: number, x: number, width: number): Screen => ({ id, name: `m${id}`, x, y: 0, width, height: 720, primary: id === 0, outputs: [] });

  it('bounds the whole desktop, gaps included', () => {
    expect(desktopBounds([screen(0, 0, 1280), screen(1, 1400, 1024)])).toEqual({ x: 0, y: 0, width: 2424, height: 720 });
  });

  it('notices a moved or added monitor', () => {
    const a = [screen(0, 0, 1280)];
    expect(sameScreens(a, [screen(0, 0, 1280)])).toBe(true);
    expect(sameScreens(a, [screen(0, 0, 1366)])).toBe(false);
    expect(sameScreens(a, [screen(0, 0, 1280), screen(1, 1280, 1280)])).toBe(false);
  });
});

describe('teacher message duration', () => {
  it('gives short messages ten seconds and long ones more, up to a minute', () => {
    expect(messageVisibleMs('Mở bài 5')).toBe(10_000);
    expect(messageVisibleMs('x'.repeat(300))).toBeGreaterThan(20_000);
    expect(messageVisibleMs('x'.repeat(5000))).toBe(60_000);
  });
});
