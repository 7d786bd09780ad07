// The lock screen on X11: one override-redirect cover over the whole root window (so every
// monitor, and any gap between monitors, is covered), a message panel centred on each monitor,
// and the keyboard and pointer grabbed so no key, click, Alt+Tab or window-manager shortcut
// reaches the desktop (a window manager's shortcuts are passive grabs, which cannot fire while
// another client holds an active grab).
//
// Students try things, so the lock defends itself while it is engaged:
//  - fast path: when another top-level window is created, mapped or restacked, the cover is
//    raised again at once (one request, no round trip), so a window raising itself in a loop is
//    on top only for the moment it takes us to answer; the full check follows a little later;
//  - events: cover unmapped/destroyed, grab released (FocusOut/LeaveNotify mode Ungrab), RandR
//    screen changes -> full check at once;
//  - a watchdog every `lockWatchIntervalMs` (only while locked) re-grabs, re-raises, re-maps and
//    re-reads the monitors, so a missed event costs at most one interval;
//  - a grab held by another client is broken: first by the X server itself (XKB grab-break keys,
//    see grab-break.ts), which also ends grabs on the root window; then the way xsecurelock does
//    it: a grab ends when its window stops being viewable, so other clients' windows are unmapped
//    one at a time from the top (the application window inside a window-manager frame first;
//    frames confuse window managers) until our grab succeeds. They stay unmapped until unlock
//    (they are under the cover anyway), so a client that grabs again whenever it is mapped cannot
//    ping-pong with us; unlock maps them back and gives the keyboard focus back to where it was.
//    While the lock is contested, the client still holding a grab is disconnected (XF86ClearGrab).
//  - every involuntary loss is reported (deps.onLoss) so the desktop can tell an accident from a
//    student fighting the lock (contest.ts).
// Killing our X connection (xkill) destroys everything; desktop.ts reconnects and engages again.

import type { LockLoss } from './contest.js';
import type { GrabBreakAction } from './grab-break.js';
import type { Screen } from './screens.js';
import { sameScreens } from './screens.js';
import { createOverlay, setPicture, type ServerImage } from './overlay-window.js';
import { colours } from './panels.js';
import { eventMask, grabStatus, subjectWindow, type XConnection, type XEvent } from './x-connection.js';

/** Watchdog period while locked. No timer runs while unlocked. */
export const lockWatchIntervalMs = 300;

/**
 * A foreign grab may be innocent (a mouse button still held, a menu open when the lock came):
 * give it this long to end by itself before breaking it. A grab taken from us after we held it
 * is not innocent and is broken at once.
 */
export const foreignGrabPatienceMs = 400;

/** Breaking another client's grab presses keys or unmaps windows: never more often than this. */
export const grabBreakMinGapMs = 100;

/** Shortest gap between two full checks asked for by events (a client raising itself in a loop cannot spin us). */
export const recheckMinGapMs = 25;

/** After the fast path re-raised the cover over a restacked window, the full check follows this much later. */
export const restackCheckDelayMs = 150;

/**
 * How long lock() waits for the keyboard and pointer before it reports that input is not
 * captured (patience for an innocent grab, then breaking it).
 */
export const inputSettleMaxMs = 2_000;

/**
 * On unlock, how long we wait for a window manager to show the windows the lock had hidden before
 * giving the keyboard focus back (looking every remapPollMs).
 */
export const remapWaitMs = 1_000;
export const remapPollMs = 20;

/** Windows named in "raised above" log lines per lock, at most (a client creating windows in a loop must not grow the set). */
export const maxReportedAbove = 64;

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
   * Windows unmapped to break a foreign grab, mapped back on unlock (in the order they were
   * hidden). Owned by the caller so the set survives a reconnect (after xkill) and the next
   * unlock still restores them.
   */
  hiddenWindows: Set<number>;
  /** Something took the lock away without us asking (counted by the desktop's LockContest). */
  onLoss: (kind: LockLoss) => void;
  /** Whether keyboard and pointer are out of the lock's hands changed (see ScreenLock.inputProblem). */
  onInputProblem: (problem: boolean) => void;
  /** Breaks other clients' grabs with the X server's help; false when this PC cannot. */
  breakGrabs: (action: GrabBreakAction) => Promise<boolean>;
  /** True while a student is fighting the lock: a client that keeps a grab may then be disconnected. */
  contested: () => boolean;
  /** Resolves when pausing the student's programs (contested lock) has been done, if it is under way or due. */
  studentPaused: () => Promise<void>;
}

/** Where the keyboard focus was before the lock hid windows (restored on unlock). */
interface SavedFocus {
  window: number;
  revertTo: number;
}

type GrabResult = { keyboard: number; pointer: number };

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

/** FocusOut/LeaveNotify mode: the grab just ended. */
const notifyUngrab = 2;

/** CirculateNotify place: the window went to the top. */
const placeOnTop = 0;

const isRefused = (s: number): boolean => s === grabStatus.alreadyGrabbed || s === grabStatus.frozen;

export class ScreenLock {
  private cover: number | null = null;
  private panels: number[] = [];
  private screens: Screen[] = [];
  private content: LockContent | null = null;
  private engagedFlag = false;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private checkTimer: NodeJS.Timeout | null = null;
  private checkDueAt = 0;
  private checkRunning = false;
  private lastCheckAt = 0;
  private lastGrabBreakAt = 0;
  /** When our grab was first refused because another client holds one (null: not refused). */
  private blockedSince: number | null = null;
  private grabbed = { keyboard: false, pointer: false };
  /** We held both grabs at least once since engaging: a refusal after that means they were taken. */
  private heldOnce = false;
  /** When breaking a foreign grab last failed (null: input is ours, or we have not given up yet). */
  private breakFailedAt: number | null = null;
  private readonly settleWaiters = new Set<() => void>();
  private pointerBefore: { x: number; y: number } | null = null;
  private focusBefore: SavedFocus | null = null;
  /** Top-level windows created since our last raise: they sit above the cover until we raise it again. */
  private readonly createdAbove = new Set<number>();
  /** Windows we already logged raising the cover above (one log line each, not one per tick; forgotten on unlock). */
  private readonly reportedAbove = new Set<number>();

  constructor(
    private readonly conn: XConnection,
    private readonly deps: LockDeps,
  ) {}

  get engaged(): boolean {
    return this.engagedFlag;
  }

  /** The lock holds both the keyboard and the pointer. */
  get inputCaptured(): boolean {
    return this.grabbed.keyboard && this.grabbed.pointer;
  }

  /** True when the lock tried to take keyboard and pointer back and could not: students can type past it. */
  get inputProblem(): boolean {
    return this.engagedFlag && !this.inputCaptured && this.breakFailedAt !== null;
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
        this.focusBefore = await this.conn.inputFocus().catch(() => null);
        await this.buildCover();
        this.timer = setInterval(() => this.requestCheck(0), lockWatchIntervalMs);
        this.timer.unref();
      }
      await this.paintPanels();
      await this.conn.sync();
    });
  }

  /**
   * Resolves once the lock holds keyboard and pointer, or has tried to take them from another
   * client and failed, or after `inputSettleMaxMs`. Resolves whether input is captured.
   */
  async inputSettled(): Promise<boolean> {
    if (!this.engagedFlag || this.inputCaptured || this.breakFailedAt !== null) return this.inputCaptured;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.settleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, inputSettleMaxMs);
      this.settleWaiters.add(done);
    });
    if (this.engagedFlag && !this.inputCaptured && this.breakFailedAt === null) {
      // Still waiting out an innocent-looking grab: for the teacher, input is not captured.
      this.breakFailedAt = Date.now();
      this.deps.onInputProblem(true);
    }
    return this.inputCaptured;
  }

  /** Ungrabs, removes every lock window and puts the pointer back where it was. */
  release(): Promise<void> {
    return this.serial(async () => {
      if (!this.engagedFlag) return;
      this.engagedFlag = false;
      this.stopTimers();
      this.conn.ungrabKeyboard();
      this.conn.ungrabPointer();
      // Back in their old stacking places (an unmapped window keeps its place), under the cover until it goes.
      const hidden = [...this.deps.hiddenWindows];
      this.deps.hiddenWindows.clear();
      for (const wid of hidden) this.conn.mapWindow(wid);
      if (this.cover !== null) this.conn.destroyWindow(this.cover);
      // A window manager maps a hidden window again in its own time (MapRequest, new frame) and may
      // focus it: wait for that, then give the focus back to the window that had it before the lock.
      if (hidden.length > 0) await this.whenViewable(hidden);
      if (this.focusBefore) {
        await this.conn.setInputFocus(this.focusBefore.window, this.focusBefore.revertTo).catch(() => false);
      }
      this.focusBefore = null;
      this.cover = null;
      this.panels = [];
      this.grabbed = { keyboard: false, pointer: false };
      this.heldOnce = false;
      this.blockedSince = null;
      this.breakFailedAt = null;
      this.createdAbove.clear();
      this.reportedAbove.clear();
      this.wakeSettleWaiters();
      if (this.pointerBefore) this.conn.warpPointer(this.pointerBefore.x, this.pointerBefore.y);
      this.pointerBefore = null;
      await this.conn.sync().catch(() => undefined);
    });
  }

  /** The connection is gone: forget windows (the server destroyed them) and stop the watchdog. */
  dispose(): void {
    this.engagedFlag = false;
    this.stopTimers();
    this.cover = null;
    this.panels = [];
    this.createdAbove.clear();
    this.reportedAbove.clear();
    this.wakeSettleWaiters();
  }

  /** Every X event of the connection passes here; the lock reacts only while engaged. */
  handleEvent(ev: XEvent): void {
    if (!this.engagedFlag || this.cover === null) return;
    const cover = this.cover;
    const root = this.conn.root;
    const subject = subjectWindow(ev);
    const lockWindow = subject !== undefined && this.windows().includes(subject);
    switch (ev.name) {
      case 'CreateNotify':
        // New top-level windows start above everything, the cover included: raise it before they map.
        if (ev.parent === root && !lockWindow && subject !== undefined) {
          this.createdAbove.add(subject);
          this.conn.raiseWindow(cover);
        }
        break;
      case 'MapNotify':
        if (ev.event !== root || lockWindow || subject === undefined) break;
        if (this.createdAbove.delete(subject) && !this.isOwn(subject)) this.deps.onLoss('covered');
        this.conn.raiseWindow(cover);
        this.requestCheck(restackCheckDelayMs);
        break;
      case 'ConfigureNotify':
        if (ev.wid !== root) break; // only root's children are selected on root
        if (subject === cover) {
          // Our raise took effect: whatever was created before it is below us now.
          this.createdAbove.clear();
          break;
        }
        if (lockWindow) break;
        if (subject !== undefined && !this.isOwn(subject) && ev.aboveSibling !== undefined && this.isTopOfOurs(ev.aboveSibling)) {
          // Restacked right above us: that window covers the lock until we raise it again.
          this.deps.onLoss('covered');
        }
        this.conn.raiseWindow(cover);
        this.requestCheck(restackCheckDelayMs);
        break;
      case 'CirculateNotify':
        if (ev.event !== root || lockWindow) break;
        if (ev.place === placeOnTop && subject !== undefined && !this.isOwn(subject)) this.deps.onLoss('covered');
        this.conn.raiseWindow(cover);
        this.requestCheck(restackCheckDelayMs);
        break;
      case 'ReparentNotify':
        if (!lockWindow) this.requestCheck(restackCheckDelayMs);
        break;
      case 'UnmapNotify':
        if (subject === cover) {
          // Reported twice (on the cover and on root); count it once.
          if (ev.event === cover) this.deps.onLoss('unmapped');
          this.requestCheck(0);
        } else if (!lockWindow) this.requestCheck(restackCheckDelayMs); // a grab may end with it
        break;
      case 'DestroyNotify':
        if (subject === cover) {
          if (ev.event === cover) this.deps.onLoss('destroyed');
          this.requestCheck(0);
        } else if (!lockWindow) this.requestCheck(restackCheckDelayMs);
        break;
      case 'RRScreenChangeNotify':
      case 'RRNotify':
        this.requestCheck(0);
        break;
      case 'VisibilityNotify':
        if (subject === cover && ev.state !== 0) this.requestCheck(0);
        break;
      case 'FocusOut':
      case 'LeaveNotify':
        // Our grab just ended without us asking (the cover stopped being viewable, or the server was told to ungrab).
        // (Another client's grab ending sends the same events: only a grab we held counts.)
        if (subject === cover && ev.mode === notifyUngrab) {
          const device = ev.name === 'FocusOut' ? 'keyboard' : 'pointer';
          if (!this.grabbed[device]) break;
          this.grabbed[device] = false;
          this.deps.onLoss('grab-lost');
          this.requestCheck(0);
        }
        break;
      default:
        break;
    }
  }

  /** Asks for a full check (see check()) in `delayMs`; coalesced: one pending at most, spaced by recheckMinGapMs. */
  requestCheck(delayMs = 0): void {
    if (!this.engagedFlag) return;
    const due = Math.max(Date.now() + delayMs, this.lastCheckAt + recheckMinGapMs);
    if (this.checkTimer && this.checkDueAt <= due) return;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkDueAt = due;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      if (this.checkRunning) {
        // One check at a time; the running one may have started before the event: look again after it.
        this.requestCheck(recheckMinGapMs);
        return;
      }
      this.checkRunning = true;
      void this.serial(async () => {
        this.lastCheckAt = Date.now();
        if (this.engagedFlag && !this.conn.closed) await this.check();
      })
        .catch((e: unknown) => {
          if (!this.conn.closed) this.deps.log(`lock.check-failed error=${JSON.stringify((e as Error).message)}`);
        })
        .finally(() => {
          this.checkRunning = false;
        });
    }, Math.max(0, due - Date.now()));
    this.checkTimer.unref();
  }

  /** Waits (bounded by remapWaitMs) until every window is viewable again; gone ones do not count. */
  private async whenViewable(windows: readonly number[]): Promise<void> {
    const deadline = Date.now() + remapWaitMs;
    for (;;) {
      const states = await Promise.all(windows.map((w) => this.conn.windowAttributes(w).catch(() => null)));
      if (states.every((a) => a === null || a.mapState === 2) || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, remapPollMs));
    }
  }

  private isOwn(wid: number): boolean {
    return this.deps.ownWindows().includes(wid);
  }

  /** A window of ours that a window stacked right above would cover the lock from. */
  private isTopOfOurs(wid: number): boolean {
    return wid === this.cover || this.isOwn(wid);
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = null;
  }

  private wakeSettleWaiters(): void {
    for (const wake of [...this.settleWaiters]) wake();
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
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
    this.createdAbove.clear();
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

  private async tryGrab(cover: number): Promise<GrabResult> {
    const attempt = async (): Promise<GrabResult> => {
      const [keyboard, pointer] = await Promise.all([this.conn.grabKeyboard(cover), this.conn.grabPointer(cover, cover, pointerGrabEvents)]);
      return { keyboard, pointer };
    };
    const result = await attempt();
    if (result.keyboard !== grabStatus.notViewable && result.pointer !== grabStatus.notViewable) return result;
    // Someone unmapped the cover after we last looked (a grab thief does it in the same batch as
    // its grabs). Nothing can be grabbed on a hidden window, and hiding the student's windows
    // would not help, so map it first: the server handles our map before our grabs.
    if (cover !== this.cover || !this.engagedFlag) return result;
    this.deps.log('lock.cover-remapped reason=grab-not-viewable');
    this.conn.mapWindow(cover);
    this.conn.raiseWindow(cover);
    return attempt();
  }

  private async grab(): Promise<void> {
    const cover = this.cover;
    if (cover === null) return;
    let result = await this.tryGrab(cover);
    const refused = isRefused(result.keyboard) || isRefused(result.pointer);
    const now = Date.now();
    if (!refused) this.blockedSince = null;
    else if (this.blockedSince === null) {
      this.blockedSince = now;
      this.deps.onLoss('grab-refused');
    }
    const patience = this.heldOnce ? 0 : foreignGrabPatienceMs;
    let breakTried = false;
    if (refused && now - this.blockedSince! >= patience && now - this.lastGrabBreakAt >= grabBreakMinGapMs) {
      this.lastGrabBreakAt = now;
      breakTried = true;
      result = await this.breakForeignGrab(cover);
      if (isRefused(result.keyboard) || isRefused(result.pointer)) {
        // Another round lost: a client that grabs back at once is fighting us. The next watchdog
        // tick tries again (by then the contest defence may have paused it).
        this.deps.log(`lock.grab-not-taken-back keyboard=${result.keyboard} pointer=${result.pointer}`);
        this.deps.onLoss('grab-refused');
      }
    } else if (refused && now - this.blockedSince! < patience) {
      // Still waiting out a grab that may be innocent: look again as soon as the patience runs out,
      // not a watchdog tick later (and again if the timer fired a few ms early by the wall clock).
      this.requestCheck(this.blockedSince! + patience - now);
    }
    const held = { keyboard: result.keyboard === grabStatus.success, pointer: result.pointer === grabStatus.success };
    const wasCaptured = this.inputCaptured;
    if ((held.keyboard !== this.grabbed.keyboard || held.pointer !== this.grabbed.pointer) && (!held.keyboard || !held.pointer)) {
      this.deps.log(`lock.grab-incomplete keyboard=${result.keyboard} pointer=${result.pointer}`);
    }
    this.grabbed = held;
    if (held.keyboard && held.pointer && !wasCaptured) this.deps.log(`lock.input-captured${this.heldOnce ? ' again' : ''}`);
    if (held.keyboard && held.pointer) {
      this.blockedSince = null;
      this.heldOnce = true;
      if (this.breakFailedAt !== null) {
        this.breakFailedAt = null;
        this.deps.onInputProblem(false);
      }
      this.wakeSettleWaiters();
    } else if (breakTried) {
      if (this.breakFailedAt === null) {
        this.breakFailedAt = Date.now();
        this.deps.onInputProblem(true);
      }
      this.wakeSettleWaiters();
    }
  }

  /**
   * Takes the grabs from whoever holds them: the X server's grab-break keys first (nothing is
   * hidden, and it works for grabs on the root window), then hiding windows, and while the lock
   * is contested, disconnecting the grabbing client. Returns the grab statuses reached.
   */
  private async breakForeignGrab(cover: number): Promise<GrabResult> {
    const taken = (r: GrabResult): boolean => r.keyboard === grabStatus.success && r.pointer === grabStatus.success;
    let result: GrabResult = { keyboard: grabStatus.alreadyGrabbed, pointer: grabStatus.alreadyGrabbed };
    if (await this.deps.breakGrabs('ungrab').catch(() => false)) {
      result = await this.tryGrab(cover);
      if (taken(result)) {
        this.taken(cover, 'xkb-ungrab', 0);
        return result;
      }
    }
    const byHiding = await this.hideWindowsUntilGrabbed(cover);
    if (byHiding) {
      result = byHiding;
      if (taken(result)) {
        this.taken(cover, 'hide-windows', byHiding.hidden);
        return result;
      }
    }
    if (this.deps.contested()) {
      // Pausing the student's programs first (it may be under way): a paused client cannot grab
      // back after we ungrab it, and keeps its X connection.
      await this.deps.studentPaused();
      if (await this.deps.breakGrabs('ungrab').catch(() => false)) {
        result = await this.tryGrab(cover);
        if (taken(result)) {
          this.taken(cover, 'xkb-ungrab-after-pause', 0);
          return result;
        }
      }
      if (await this.deps.breakGrabs('disconnect-grabber').catch(() => false)) {
        result = await this.tryGrab(cover);
        if (taken(result)) this.taken(cover, 'xkb-disconnect-grabber', 0);
      }
    }
    return result;
  }

  private taken(cover: number, method: string, hidden: number): void {
    this.conn.raiseWindow(cover);
    this.deps.log(`lock.grab-taken-back method=${method} hidden=${hidden}`);
  }

  /**
   * Unmaps other clients' windows, topmost first, until both grabs succeed. Returns the grab
   * statuses reached and how many windows it hid (null when there was nothing to unmap).
   */
  private async hideWindowsUntilGrabbed(cover: number): Promise<(GrabResult & { hidden: number }) | null> {
    const ours = new Set([...this.windows(), ...this.deps.ownWindows()]);
    const topFirst = (await this.conn.children(this.conn.root)).reverse();
    let hidden = 0;
    let result: (GrabResult & { hidden: number }) | null = null;
    const hide = async (wid: number): Promise<boolean> => {
      this.conn.unmapWindow(wid);
      this.deps.hiddenWindows.add(wid);
      hidden++;
      const r = await this.tryGrab(cover);
      result = { ...r, hidden };
      // Stop once both are held, and also when the cover itself cannot be shown: hiding more of
      // the student's windows cannot help then.
      return (r.keyboard === grabStatus.success && r.pointer === grabStatus.success) || r.keyboard === grabStatus.notViewable || r.pointer === grabStatus.notViewable;
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
    if (!ours && !this.reportedAbove.has(top) && this.reportedAbove.size < maxReportedAbove) {
      this.reportedAbove.add(top);
      this.deps.log(`lock.raised-above window=${top}`);
    }
  }
}
