// The lock screen on X11: one override-redirect cover over the whole root window (so every
// monitor, and any gap between monitors, is covered), a message panel centred on each monitor,
// and the keyboard and pointer grabbed so no key, click, Alt+Tab or window-manager shortcut
// reaches the desktop (a window manager's shortcuts are passive grabs, which cannot fire while
// another client holds an active grab).
//
// Students try things, so the lock defends itself while it is engaged:
//  - events: cover unmapped/destroyed/obscured, grab released (FocusOut/LeaveNotify mode Ungrab),
//    another window mapped or restacked, RandR screen changes -> re-check at once;
//  - a watchdog every `lockWatchIntervalMs` (only while locked) re-grabs, re-raises, re-maps and
//    re-reads the monitors, so a missed event costs at most one interval;
//  - a grab held by another client is broken the way xsecurelock does it: a grab ends when its
//    window stops being viewable, so other clients' windows are unmapped one at a time from the
//    top (the application window inside a window-manager frame first; frames confuse window
//    managers) until our grab succeeds. They stay unmapped until unlock (they are under the
//    cover anyway), so a client that grabs again whenever it is mapped cannot ping-pong with
//    us; unlock maps them back and gives the keyboard focus back to where it was.
// Killing our X connection (xkill) destroys everything; desktop.ts reconnects and engages again.

import type { Screen } from './screens.js';
import { sameScreens } from './screens.js';
import { createOverlay, setPicture, type ServerImage } from './overlay-window.js';
import { colours } from './panels.js';
import { eventMask, grabStatus, subjectWindow, type XConnection, type XEvent } from './x-connection.js';

/** Watchdog period while locked. No timer runs while unlocked. */
export const lockWatchIntervalMs = 300;

/**
 * A foreign grab may be innocent (a mouse button still held, a menu open when the lock came):
 * give it this long to end by itself before hiding windows to break it.
 */
export const foreignGrabPatienceMs = 400;

/** Breaking another client's grab unmaps windows: never more often than this. */
export const grabBreakMinGapMs = 100;

/** Shortest gap between two event-triggered checks (a client raising itself in a loop cannot spin us). */
export const recheckMinGapMs = 25;

export interface LockContent {
  /** Picture of the panel for a monitor of this size (cached by the caller). */
  panelFor(width: number, height: number): Promise<ServerImage>;
}

export interface LockDeps {
  log: (line: string) => void;
  readScreens: () => Promise<Screen[]>;
  /** Called when the lock noticed new monitors (the desktop updates session info). */
  onScreens: (screens: Screen[]) => void;
  /** Every window of ours (badge, message): never unmapped when breaking a foreign grab. */
  ownWindows: () => number[];
  /**
   * Windows unmapped to break a foreign grab, mapped back on unlock. Owned by the caller so the
   * list survives a reconnect (after xkill) and the next unlock still restores them.
   */
  hiddenWindows: number[];
}

/** Where the keyboard focus was before the lock hid windows (restored on unlock). */
interface SavedFocus {
  window: number;
  revertTo: number;
}

const coverEvents =
  eventMask.KeyPress |
  eventMask.KeyRelease |
  eventMask.ButtonPress |
  eventMask.ButtonRelease |
  eventMask.StructureNotify |
  eventMask.VisibilityChange |
  eventMask.FocusChange |
  eventMask.EnterWindow |
  eventMask.LeaveWindow;

const pointerGrabEvents = eventMask.ButtonPress | eventMask.ButtonRelease;

export class ScreenLock {
  private cover: number | null = null;
  private panels: number[] = [];
  private screens: Screen[] = [];
  private content: LockContent | null = null;
  private engagedFlag = false;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private checkQueued = false;
  private lastCheckAt = 0;
  private lastGrabBreakAt = 0;
  /** When our grab was first refused because another client holds one (null: not refused). */
  private blockedSince: number | null = null;
  private grabbed = { keyboard: false, pointer: false };
  private pointerBefore: { x: number; y: number } | null = null;
  private focusBefore: SavedFocus | null = null;
  /** Windows we already logged raising the cover above (one log line each, not one per tick). */
  private readonly reportedAbove = new Set<number>();

  constructor(
    private readonly conn: XConnection,
    private readonly deps: LockDeps,
  ) {}

  get engaged(): boolean {
    return this.engagedFlag;
  }

  /** Windows that make up the lock (cover and panels). */
  windows(): number[] {
    return this.cover === null ? [] : [this.cover, ...this.panels];
  }

  /** Covers the screens and grabs input; resolves once the server shows the panels. */
  engage(content: LockContent, screens: Screen[]): Promise<void> {
    return this.serial(async () => {
      this.content = content;
      this.screens = screens;
      if (!this.engagedFlag) {
        this.engagedFlag = true;
        this.pointerBefore = await this.conn.pointerPosition().catch(() => null);
        await this.buildCover();
        this.timer = setInterval(() => this.requestCheck(), lockWatchIntervalMs);
        this.timer.unref();
      }
      await this.paintPanels();
      await this.conn.sync();
    });
  }

  /** Ungrabs, removes every lock window and puts the pointer back where it was. */
  release(): Promise<void> {
    return this.serial(async () => {
      if (!this.engagedFlag) return;
      this.engagedFlag = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.conn.ungrabKeyboard();
      this.conn.ungrabPointer();
      // Back in their old stacking places (an unmapped window keeps its place), under the cover until it goes.
      const hidden = this.deps.hiddenWindows.splice(0);
      for (const wid of hidden) this.conn.mapWindow(wid);
      if (this.cover !== null) this.conn.destroyWindow(this.cover);
      if (hidden.length > 0 && this.focusBefore) {
        await this.conn.sync().catch(() => undefined);
        await this.conn.setInputFocus(this.focusBefore.window, this.focusBefore.revertTo).catch(() => false);
      }
      this.focusBefore = null;
      this.cover = null;
      this.panels = [];
      this.grabbed = { keyboard: false, pointer: false };
      this.blockedSince = null;
      if (this.pointerBefore) this.conn.warpPointer(this.pointerBefore.x, this.pointerBefore.y);
      this.pointerBefore = null;
      await this.conn.sync().catch(() => undefined);
    });
  }

  /** The connection is gone: forget windows (the server destroyed them) and stop the watchdog. */
  dispose(): void {
    this.engagedFlag = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.cover = null;
    this.panels = [];
  }

  /** Every X event of the connection passes here; the lock reacts only while engaged. */
  handleEvent(ev: XEvent): void {
    if (!this.engagedFlag) return;
    const subject = subjectWindow(ev);
    const ours = subject !== undefined && this.windows().includes(subject);
    switch (ev.name) {
      case 'UnmapNotify':
      case 'DestroyNotify':
        // Ours going away is exactly what we watch for; others' too (a grab may end with them).
        this.requestCheck();
        break;
      case 'MapNotify':
      case 'ConfigureNotify':
      case 'CirculateNotify':
      case 'ReparentNotify':
        // Our own raises and maps come back as these events: reacting to them would loop.
        if (!ours) this.requestCheck();
        break;
      case 'RRScreenChangeNotify':
      case 'RRNotify':
        this.requestCheck();
        break;
      case 'VisibilityNotify':
        if (subject === this.cover && ev.state !== 0) this.requestCheck();
        break;
      case 'FocusOut':
      case 'LeaveNotify':
        // mode 2 = Ungrab: our grab just ended without us asking.
        if (subject === this.cover && ev.mode === 2) this.requestCheck();
        break;
      default:
        break;
    }
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Coalesces checks: at most one queued behind the running one, spaced by recheckMinGapMs. */
  private requestCheck(): void {
    if (this.checkQueued || !this.engagedFlag) return;
    this.checkQueued = true;
    const wait = Math.max(0, this.lastCheckAt + recheckMinGapMs - Date.now());
    const go = (): void => {
      void this.serial(async () => {
        this.checkQueued = false;
        this.lastCheckAt = Date.now();
        if (this.engagedFlag && !this.conn.closed) await this.check();
      }).catch((e: unknown) => {
        if (!this.conn.closed) this.deps.log(`lock.check-failed error=${JSON.stringify((e as Error).message)}`);
      });
    };
    if (wait > 0) setTimeout(go, wait).unref();
    else go();
  }

  private async buildCover(): Promise<void> {
    const root = await this.conn.rootSize();
    const cover = createOverlay(this.conn, {
      rect: { x: 0, y: 0, width: root.width, height: root.height },
      background: colours.lockCover,
      eventMask: coverEvents,
      name: 'SafeLab lock',
    });
    this.cover = cover;
    this.panels = [];
    this.conn.mapWindow(cover);
    this.conn.raiseWindow(cover);
    await this.grab();
  }

  /** One panel window per monitor, centred, as a child of the cover. */
  private async paintPanels(): Promise<void> {
    const cover = this.cover;
    const content = this.content;
    if (cover === null || !content) return;
    const pictures = await Promise.all(this.screens.map((s) => content.panelFor(s.width, s.height)));
    if (cover !== this.cover) return; // rebuilt meanwhile
    for (const old of this.panels) this.conn.destroyWindow(old);
    this.panels = this.screens.map((s, i) => {
      const picture = pictures[i]!;
      const width = Math.min(picture.width, s.width);
      const height = Math.min(picture.height, s.height);
      const wid = createOverlay(this.conn, {
        parent: cover,
        rect: { x: s.x + Math.floor((s.width - width) / 2), y: s.y + Math.floor((s.height - height) / 2), width, height },
        background: colours.lockCover,
        name: `SafeLab lock panel ${s.id}`,
      });
      setPicture(this.conn, wid, picture);
      this.conn.mapWindow(wid);
      return wid;
    });
  }

  private async grab(): Promise<void> {
    const cover = this.cover;
    if (cover === null) return;
    let [keyboard, pointer] = await Promise.all([this.conn.grabKeyboard(cover), this.conn.grabPointer(cover, cover, pointerGrabEvents)]);
    const blocked = (s: number): boolean => s === grabStatus.alreadyGrabbed || s === grabStatus.frozen;
    const refused = blocked(keyboard) || blocked(pointer);
    const now = Date.now();
    if (!refused) this.blockedSince = null;
    else if (this.blockedSince === null) {
      this.blockedSince = now;
      // Look again as soon as the patience runs out, not a watchdog tick later.
      setTimeout(() => this.requestCheck(), foreignGrabPatienceMs).unref();
    }
    if (refused && now - this.blockedSince! >= foreignGrabPatienceMs && now - this.lastGrabBreakAt >= grabBreakMinGapMs) {
      this.lastGrabBreakAt = now;
      const taken = await this.breakForeignGrab(cover);
      if (taken) {
        [keyboard, pointer] = [taken.keyboard, taken.pointer];
        this.conn.raiseWindow(cover);
        this.deps.log(`lock.grab-taken-back hidden=${taken.hidden} keyboard=${keyboard} pointer=${pointer}`);
      }
    }
    const held = { keyboard: keyboard === grabStatus.success, pointer: pointer === grabStatus.success };
    if (held.keyboard !== this.grabbed.keyboard || held.pointer !== this.grabbed.pointer) {
      if (!held.keyboard || !held.pointer) this.deps.log(`lock.grab-incomplete keyboard=${keyboard} pointer=${pointer}`);
      else if (this.grabbed.keyboard || this.grabbed.pointer || this.lastCheckAt > 0) this.deps.log('lock.grab-restored');
    }
    if (held.keyboard && held.pointer) this.blockedSince = null;
    this.grabbed = held;
  }

  /**
   * Unmaps other clients' windows, topmost first, until both grabs succeed. Returns the grab
   * statuses reached and how many windows it hid (null when there was nothing to unmap).
   */
  private async breakForeignGrab(cover: number): Promise<{ keyboard: number; pointer: number; hidden: number } | null> {
    const ours = new Set([...this.windows(), ...this.deps.ownWindows()]);
    const topFirst = (await this.conn.children(this.conn.root)).reverse();
    this.focusBefore ??= await this.conn.inputFocus().catch(() => null);
    let hidden = 0;
    let result: { keyboard: number; pointer: number; hidden: number } | null = null;
    const hide = async (wid: number): Promise<boolean> => {
      this.conn.unmapWindow(wid);
      if (!this.deps.hiddenWindows.includes(wid)) this.deps.hiddenWindows.push(wid);
      hidden++;
      const [keyboard, pointer] = await Promise.all([this.conn.grabKeyboard(cover), this.conn.grabPointer(cover, cover, pointerGrabEvents)]);
      result = { keyboard, pointer, hidden };
      return keyboard === grabStatus.success && pointer === grabStatus.success;
    };
    for (const wid of topFirst) {
      if (ours.has(wid)) continue;
      const attrs = await this.conn.windowAttributes(wid);
      if (attrs?.mapState !== 2) continue;
      const client = attrs.overrideRedirect ? wid : await this.clientWindowIn(wid);
      if (await hide(client)) break;
      // The grab may be on the frame itself (a window manager moving a window): hide the frame too.
      if (client !== wid && (await hide(wid))) break;
    }
    return result;
  }

  /** The application window inside a window-manager frame (the one with WM_STATE), like XmuClientWindow. */
  private async clientWindowIn(frame: number): Promise<number> {
    const wmState = await this.conn.internAtom('WM_STATE');
    let level = [frame];
    for (let depth = 0; depth < 3 && level.length > 0; depth++) {
      for (const wid of level) if (await this.conn.hasProperty(wid, wmState)) return wid;
      const next: number[] = [];
      for (const wid of level) next.push(...(await this.conn.children(wid).catch(() => [] as number[])));
      level = next;
    }
    return frame;
  }

  /** Puts everything back in place; safe to call any time while engaged. */
  private async check(): Promise<void> {
    const cover = this.cover;
    const attrs = cover === null ? null : await this.conn.windowAttributes(cover);
    if (!this.engagedFlag) return;
    if (!attrs) {
      this.deps.log('lock.cover-recreated');
      await this.buildCover();
      await this.paintPanels();
      return;
    }
    if (attrs.mapState !== 2) {
      this.deps.log('lock.cover-remapped');
      this.conn.mapWindow(cover!);
      this.conn.raiseWindow(cover!);
    }
    const [root, geometry, screens] = await Promise.all([
      this.conn.rootSize(),
      this.conn.windowGeometry(cover!),
      this.deps.readScreens().catch(() => this.screens),
    ]);
    if (geometry && (geometry.x !== 0 || geometry.y !== 0 || geometry.width !== root.width || geometry.height !== root.height)) {
      this.conn.moveResizeWindow(cover!, { x: 0, y: 0, width: root.width, height: root.height });
    }
    if (!sameScreens(screens, this.screens)) {
      this.deps.log(`lock.screens-changed count=${screens.length}`);
      this.screens = screens;
      this.deps.onScreens(screens);
      await this.paintPanels();
    }
    await this.keepOnTop(cover!);
    await this.grab();
  }

  private async keepOnTop(cover: number): Promise<void> {
    const children = await this.conn.children(this.conn.root);
    const top = children[children.length - 1];
    if (top === undefined || top === cover) return;
    const ours = this.deps.ownWindows().includes(top);
    // Raising is idempotent and cheap; a window the server pins above everything (a compositor's
    // overlay) just stays there, and our own raise events are ignored, so this cannot loop.
    this.conn.raiseWindow(cover);
    if (!ours && !this.reportedAbove.has(top)) {
      this.reportedAbove.add(top);
      this.deps.log(`lock.raised-above window=${top}`);
    }
  }
}
