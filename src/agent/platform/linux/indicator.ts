// The monitoring badge: while a lesson runs, a small always-on-top note in the top-right corner
// of every monitor tells the student the teacher may see this screen. It must never get in the
// way: it is override-redirect (no focus, no frame), its input region is empty (clicks fall
// through to the window below), and it keeps itself on top only in reaction to other windows
// being mapped or restacked, never with a timer.

import type { Screen } from './screens.js';
import { createOverlay, setPicture, type ServerImage } from './overlay-window.js';
import { colours } from './panels.js';
import { eventMask, subjectWindow, type XConnection, type XEvent } from './x-connection.js';

/** Distance from the screen's top-right corner. */
export const badgeMarginPx = 8;

/** A window raising itself in a loop must not drag us into a raise war: at most this often. */
export const badgeRaiseMinGapMs = 250;

export interface BadgeDeps {
  log: (line: string) => void;
  /** While the lock is up it must stay above everything, the badge included. */
  isLocked: () => boolean;
}

export class MonitoringBadge {
  private windows: number[] = [];
  private picture: ServerImage | null = null;
  private screens: Screen[] = [];
  private lastRaiseAt = 0;
  private raiseTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly conn: XConnection,
    private readonly deps: BadgeDeps,
  ) {}

  ownWindows(): number[] {
    return [...this.windows];
  }

  /** Shows (or moves, or repaints) the badge on every screen. */
  show(picture: ServerImage, screens: Screen[]): void {
    this.picture = picture;
    this.screens = screens;
    this.destroyWindows();
    this.windows = screens.map((s) => {
      const width = Math.min(picture.width, s.width);
      const height = Math.min(picture.height, s.height);
      const wid = createOverlay(this.conn, {
        rect: { x: s.x + s.width - width - badgeMarginPx, y: s.y + badgeMarginPx, width, height },
        background: colours.badgeBackground,
        eventMask: eventMask.VisibilityChange | eventMask.StructureNotify,
        name: 'SafeLab monitoring indicator',
      });
      setPicture(this.conn, wid, picture);
      if (!this.conn.clickThrough(wid)) this.deps.log('indicator.click-through-unavailable reason="no SHAPE extension"');
      this.conn.mapWindow(wid);
      if (!this.deps.isLocked()) this.conn.raiseWindow(wid);
      return wid;
    });
  }

  hide(): void {
    this.picture = null;
    this.destroyWindows();
  }

  /** Puts the badge back on top (after an unlock, for instance). */
  raise(): void {
    for (const wid of this.windows) this.conn.raiseWindow(wid);
    this.lastRaiseAt = Date.now();
  }

  /** The connection is gone; so are our windows. */
  dispose(): void {
    if (this.raiseTimer) clearTimeout(this.raiseTimer);
    this.raiseTimer = null;
    this.windows = [];
  }

  handleEvent(ev: XEvent): void {
    if (this.windows.length === 0) return;
    const subject = subjectWindow(ev);
    const ours = subject !== undefined && this.windows.includes(subject);
    switch (ev.name) {
      case 'DestroyNotify':
      case 'UnmapNotify':
        if (ours && ev.event === subject) this.repair();
        break;
      case 'MapNotify':
      case 'ConfigureNotify':
      case 'CirculateNotify':
        if (!ours) this.scheduleRaise();
        break;
      case 'VisibilityNotify':
        if (ours && ev.state !== 0) this.scheduleRaise();
        break;
      default:
        break;
    }
  }

  /** Someone unmapped or destroyed the badge: a lesson is still running, so it comes back. */
  private repair(): void {
    if (!this.picture) return;
    this.deps.log('indicator.restored');
    const picture = this.picture;
    setImmediate(() => {
      if (this.picture === picture && !this.conn.closed) this.show(picture, this.screens);
    });
  }

  private scheduleRaise(): void {
    if (this.raiseTimer || this.deps.isLocked()) return;
    const wait = Math.max(0, this.lastRaiseAt + badgeRaiseMinGapMs - Date.now());
    this.raiseTimer = setTimeout(() => {
      this.raiseTimer = null;
      if (!this.deps.isLocked() && !this.conn.closed) this.raise();
    }, wait);
    this.raiseTimer.unref();
  }

  private destroyWindows(): void {
    const old = this.windows;
    this.windows = [];
    for (const wid of old) this.conn.destroyWindow(wid);
  }
}
