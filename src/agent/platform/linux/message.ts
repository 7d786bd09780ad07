// A message from the teacher: a box near the top of the primary screen that never takes the
// keyboard (override-redirect, no grab), closes when clicked, and goes away by itself after a
// while long enough to read it. A newer message replaces the one on screen.

import type { Screen } from './screens.js';
import { createOverlay, setPicture, type ServerImage } from './overlay-window.js';
import { colours } from './panels.js';
import { eventMask, type XConnection, type XEvent } from './x-connection.js';

/** How long a message stays: time to read it (about 12 characters a second for a child), capped. */
export function messageVisibleMs(text: string): number {
  return Math.min(60_000, Math.max(10_000, 4_000 + text.length * 85));
}

export class TeacherMessage {
  private window: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly conn: XConnection) {}

  ownWindows(): number[] {
    return this.window === null ? [] : [this.window];
  }

  show(picture: ServerImage, screen: Screen, visibleMs: number): void {
    this.dismiss();
    const width = Math.min(picture.width, screen.width);
    const height = Math.min(picture.height, screen.height);
    const wid = createOverlay(this.conn, {
      rect: {
        x: screen.x + Math.floor((screen.width - width) / 2),
        y: screen.y + Math.floor(Math.min(screen.height * 0.12, screen.height - height)),
        width,
        height,
      },
      background: colours.messageBackground,
      eventMask: eventMask.ButtonPress,
      name: 'SafeLab teacher message',
    });
    setPicture(this.conn, wid, picture);
    this.conn.mapWindow(wid);
    this.conn.raiseWindow(wid);
    this.window = wid;
    this.timer = setTimeout(() => this.dismiss(), visibleMs);
    this.timer.unref();
  }

  dismiss(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.window !== null && !this.conn.closed) this.conn.destroyWindow(this.window);
    this.window = null;
  }

  /** The connection is gone (the window with it). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.window = null;
  }

  handleEvent(ev: XEvent): void {
    if (this.window !== null && ev.name === 'ButtonPress' && ev.wid === this.window) this.dismiss();
  }
}
