// The monitors of an X session, in the order the console numbers them (SessionInfo.screens).
//
// Source of truth, best first: RandR 1.5 monitors (what desktops and xrandr --listmonitors show,
// including monitors split by `xrandr --setmonitor`), Xinerama heads, then the root window alone.

import type { ScreenInfo } from '../session-desktop.js';
import type { Rect, XConnection } from './x-connection.js';

/** The session info schema allows this many screens. */
export const maxScreens = 16;

/** A screen plus the RandR outputs driving it (used to match node-screenshots monitors). */
export interface Screen extends ScreenInfo {
  outputs: number[];
}

export async function readScreens(conn: XConnection): Promise<Screen[]> {
  const root = await conn.rootSize();
  let found: Array<Rect & { name: string; primary: boolean; outputs: number[] }> = [];
  const monitors = await conn.randrMonitors().catch(() => null);
  if (monitors && monitors.length > 0) {
    found = monitors;
  } else {
    const heads = await conn.xineramaScreens().catch(() => null);
    if (heads && heads.length > 0) found = heads.map((h, i) => ({ ...h, name: `head-${i}`, primary: false, outputs: [] }));
  }
  // Keep only what lies on the root window, clipped to it (a monitor may hang off a shrunken framebuffer).
  const usable = found
    .map((m) => ({ ...m, ...clip(m, root) }))
    .filter((m) => m.width > 0 && m.height > 0);
  if (usable.length === 0) usable.push({ x: 0, y: 0, width: root.width, height: root.height, name: 'screen', primary: true, outputs: [] });
  // Left to right, then top to bottom: indices the teacher can predict, stable across restarts.
  usable.sort((a, b) => a.x - b.x || a.y - b.y);
  // X has no primary monitor until someone sets one; desktops treat the first as primary, so do we.
  const primaryIndex = Math.max(0, usable.findIndex((m) => m.primary));
  return usable.slice(0, maxScreens).map((m, id) => ({
    id,
    name: (m.name || `screen-${id}`).slice(0, 64),
    x: m.x,
    y: m.y,
    width: m.width,
    height: m.height,
    primary: id === primaryIndex,
    outputs: m.outputs,
  }));
}

function clip(r: Rect, root: { width: number; height: number }): Rect {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  const right = Math.min(root.width, r.x + r.width);
  const bottom = Math.min(root.height, r.y + r.height);
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
}

/** The public part of a screen (what goes into hello / session messages). */
export function publicScreen(s: Screen): ScreenInfo {
  return { id: s.id, name: s.name, x: s.x, y: s.y, width: s.width, height: s.height, primary: s.primary };
}

export function sameScreens(a: readonly Screen[], b: readonly Screen[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((s, i) => {
    const t = b[i]!;
    return s.name === t.name && s.x === t.x && s.y === t.y && s.width === t.width && s.height === t.height && s.primary === t.primary;
  });
}

/** The bounding box of all screens (what a whole-desktop capture shows). */
export function desktopBounds(screens: readonly Rect[]): Rect {
  const left = Math.min(...screens.map((s) => s.x));
  const top = Math.min(...screens.map((s) => s.y));
  const right = Math.max(...screens.map((s) => s.x + s.width));
  const bottom = Math.max(...screens.map((s) => s.y + s.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}
