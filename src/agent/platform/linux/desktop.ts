// The Linux/X11 SessionDesktop: real screen capture, a lock students cannot get past, the
// monitoring badge and teacher messages on one X display. It keeps what the teacher asked for
// (locked? badge?) apart from the X connection, so when the connection dies — a student ran
// `xkill` on the lock, say — it reconnects and puts everything back within a second.
//
// A student who keeps at it (kills the lock in a loop, covers it, steals its grabs) makes the
// lock *contested* (contest.ts): the desktop then pauses the student's programs until unlock
// (paused-programs.ts) and reports the contest, which the teacher sees on the machine's tile.
// A lock that is wanted but has not been on screen for lockDownReportMs is reported too
// ('lock-down'): the tile must never say "locked" while the student can use the PC.
//
// The session's Xauthority file belongs to the student, who can delete it or put a FIFO in its
// place: its cookie is read once (xauthority.ts, never blocking) and kept in memory, read again
// only when the X server turns it down (it restarted), and handed to the X tools we run through a
// private copy only the agent can read.

import type {
  CaptureRequest,
  CapturedImage,
  LockIssue,
  MonitoringIndicatorState,
  SessionDesktop,
  SessionInfo,
} from '../session-desktop.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ScreenCapture, type CaptureReads, type CaptureSource, type SessionEnv } from './capture.js';
import { EpisodeLog, LockContest, type LockLoss } from './contest.js';
import { XkbGrabBreaker, type GrabBreakAction, type XkbToolRunner } from './grab-break.js';
import { defaultRecoveryFile, PausedPrograms, readProcess } from './paused-programs.js';
import { agentStateDir } from './private-files.js';
import { MonitoringBadge } from './indicator.js';
import { ScreenLock, type LockContent } from './lock.js';
import { TeacherMessage, messageVisibleMs } from './message.js';
import { toServerImage, type ServerImage } from './overlay-window.js';
import { renderBadge, renderLockPanel, renderMessageBox } from './panels.js';
import { publicScreen, readScreens, sameScreens, type Screen } from './screens.js';
import { sessionUser } from './session-user.js';
import { readCookie, writePrivateXauthority, type XCookie } from './xauthority.js';
import { eventMask, XConnectError, XConnection, type XEvent, type XProtocolError } from './x-connection.js';
import { findXServerProcess, localDisplayNumber } from './x-server.js';
import type { RawImage } from './zpixmap.js';

export interface LinuxDesktopOptions {
  /** X display (":0"); defaults to $DISPLAY. */
  display?: string;
  /** Language of what the student sees until a lesson says otherwise. */
  language?: Language;
  log?: (line: string) => void;
  /** Screen reading: MIT-SHM bands ('shm', default), GetImage bands only ('x11'), or node-screenshots ('native'); see capture.ts. */
  capture?: CaptureSource;
  /** Where programs paused during a contested lock are remembered across an agent crash (default: defaultRecoveryFile). */
  recoveryFile?: string;
  /** Break foreign grabs with the X server's grab-break keys (default true); false leaves only hiding windows. */
  xkbGrabBreak?: boolean;
  /** Xauthority file of the X session (for our connection, node-screenshots and the tools we run); default: $XAUTHORITY / ~/.Xauthority. */
  xauthority?: string;
  /** How the grab-break tools are run (a test makes a keymap restore fail); default: the real xkbcomp and setxkbmap. */
  xkbToolRunner?: XkbToolRunner;
}

/** Reconnect backoff after the X connection was lost: first try at once, then doubling to the cap. */
export const reconnectFirstDelayMs = 0;
export const reconnectMaxDelayMs = 5_000;

/** Screen-change events come in bursts (RandR sends several per change): read the layout once after. */
export const screensSettleMs = 100;

/** At most this many X protocol errors are logged per connection (they are usually harmless races). */
export const maxLoggedProtocolErrors = 20;

/** Unlocked, a connection that dies younger than this makes the next reconnect wait (backoff). */
export const shortLivedConnectionMs = 1_000;

/** Lost connections are logged at most once per this period; the line counts the ones in between. */
export const connectionLostLogGapMs = 10_000;

/** While contested, the student's programs are looked for again (new ones paused) at most this often. */
export const repauseMinGapMs = 1_000;

/** Changes of the lock's issue reach listeners (the console) at most this often. */
export const lockIssueReportMinGapMs = 1_000;

/**
 * lock() waits this long for the lock to be up when a student kills it while it is being built
 * (the reconnect puts it back), looking every lockShowPollMs.
 */
export const lockShowMaxMs = 5_000;
export const lockShowPollMs = 20;

/** The session's user name is asked again (loginctl) after a reconnect only when older than this. */
export const userNameMaxAgeMs = 30_000;

/** A lock wanted but not on screen for this long is reported to the teacher ('lock-down'). */
export const lockDownReportMs = 1_000;

/**
 * While contested, the compositing manager is kept running (paused, it would freeze the screen on
 * its last frame, hiding a rebuilt lock). If the lock is still being fought after this many
 * escalations that found nothing new to pause, the "compositor" is what fights it: it is paused too.
 */
export const compositorTrustedEscalations = 2;

/**
 * Connects to the X display and returns a started desktop. Rejects with a readable reason when the
 * display cannot be used (no DISPLAY, nothing listening, access refused, server too old…).
 */
export async function createLinuxDesktop(options: LinuxDesktopOptions = {}): Promise<SessionDesktop> {
  const desktop = new LinuxDesktop(options);
  await desktop.start();
  return desktop;
}

export class LinuxDesktop implements SessionDesktop {
  readonly platform = 'linux' as const;
  readonly display: string;
  /** The Xauthority file of the session (a service found it), or undefined: $XAUTHORITY / ~/.Xauthority. */
  private readonly xauthority: string | undefined;
  private readonly log: (line: string) => void;
  private language: Language;

  private conn: XConnection | null = null;
  private lockScreen: ScreenLock | null = null;
  private badge: MonitoringBadge | null = null;
  private message: TeacherMessage | null = null;
  private readonly capturer: ScreenCapture;
  private readonly sessionEnv: SessionEnv;
  /** The agent's own directory (0700): recovery notes, the clean keymap. */
  private readonly stateDir: string;
  private screens: Screen[] = [];
  private user: string | null = null;
  /** The session user's account id when known for sure (only its programs are paused then). */
  private userUid: number | null = null;
  /** The session's cookie, kept after the first connection that worked (the student may delete their file). */
  private cookie: XCookie | null = null;
  /** A private copy of the cookie for the X tools we run (xkbcomp, setxkbmap, node-screenshots); null until known. */
  private privateXauthority: string | null = null;
  private privateDir: string | null = null;
  /**
   * The wanted lock is not on screen: 'pending' until lockDownReportMs have passed, then 'due'
   * (reported). A state set by the timer, not a clock comparison: a timer can fire a ms before
   * Date.now() says its delay is over (4 of 300 20 ms timers did here), and a lock down for good
   * would then never be reported.
   */
  private lockDown: 'pending' | 'due' | null = null;
  private lockDownTimer: NodeJS.Timeout | null = null;
  /** The X server's process (never paused), kept while that process lives (same start time). */
  private xServer: { pid: number; startTicks: string } | null = null;
  private readonly listeners = new Set<(info: SessionInfo) => void>();

  /** What the teacher wants, whatever happens to the X connection. */
  private wanted: { lockMessage: string | null; indicator: MonitoringIndicatorState | null } = { lockMessage: null, indicator: null };
  private connecting: Promise<void> | null = null;
  private ops: Promise<void> = Promise.resolve();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay = reconnectFirstDelayMs;
  private screensTimer: NodeJS.Timeout | null = null;
  private protocolErrors = 0;
  private readonly pictures = new Map<string, Promise<ServerImage>>();
  /** Other clients' windows the lock unmapped to break their grabs; unlock maps them back. */
  private readonly hiddenWindows = new Set<number>();

  // Contested lock: losses, paused programs, the issue the console sees.
  private readonly contest: LockContest;
  /** The lock's own lines, rate-limited per episode (a kill loop must not write hundreds a second). */
  private readonly lockLog: EpisodeLog;
  private readonly paused: PausedPrograms;
  private readonly grabBreaker: XkbGrabBreaker | null;
  private escalationDue = false;
  private escalating: Promise<void> | null = null;
  private lastEscalationAt = -Infinity;
  /** Escalations in this contest that found nothing new to pause (see compositorTrustedEscalations). */
  private fruitlessEscalations = 0;
  private leftoversResumed = false;
  private reportedIssue: LockIssue | null = null;
  private issueTimer: NodeJS.Timeout | null = null;
  private lastIssueReportAt = -Infinity;
  private readonly issueListeners = new Set<(issue: LockIssue | null) => void>();
  private connectedAt = 0;
  private userReadAt = -Infinity;
  private lostLogAt = -Infinity;
  private lostSinceLog = 0;

  constructor(options: LinuxDesktopOptions = {}) {
    const display = options.display ?? process.env['DISPLAY'];
    if (!display) throw new Error('cannot use the Linux desktop: no X display (DISPLAY is not set and no display was given)');
    this.display = display;
    this.xauthority = options.xauthority;
    this.language = options.language ?? 'vi';
    this.log = options.log ?? (() => undefined);
    // node-screenshots reads XAUTHORITY at every call: the private copy once we have one.
    const sessionEnv: SessionEnv = { DISPLAY: display };
    if (options.xauthority) sessionEnv.XAUTHORITY = options.xauthority;
    this.sessionEnv = sessionEnv;
    this.capturer = new ScreenCapture(sessionEnv, () => this.connection(), { source: options.capture ?? 'shm', log: this.log });
    this.lockLog = new EpisodeLog(this.log);
    this.contest = new LockContest(this.lockLog.line);
    const recoveryFile = options.recoveryFile ?? defaultRecoveryFile(display);
    this.stateDir = options.recoveryFile ? dirname(recoveryFile) : agentStateDir();
    this.paused = new PausedPrograms(display, recoveryFile, this.lockLog.line);
    this.grabBreaker =
      options.xkbGrabBreak === false
        ? null
        : new XkbGrabBreaker({
            display,
            env: () => this.toolEnv(),
            stateDir: this.stateDir,
            connection: () => (this.conn && !this.conn.closed ? this.conn : null),
            log: this.lockLog.line,
            ...(options.xkbToolRunner ? { runTool: options.xkbToolRunner } : {}),
          });
  }

  /** Environment for the X tools we run: the session's display, and a cookie the student cannot take away. */
  private toolEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: this.display };
    const xauthority = this.privateXauthority ?? this.xauthority;
    if (xauthority) env['XAUTHORITY'] = xauthority;
    return env;
  }

  // ---- SessionDesktop ----------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.closed) throw new Error(`the desktop on ${this.display} was closed`);
    if (!this.leftoversResumed) {
      // A previous run that crashed while a contest had the student's programs paused.
      this.leftoversResumed = true;
      this.paused.resumeLeftovers();
    }
    if (this.conn && !this.conn.closed) return;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  sessionInfo(): SessionInfo {
    return { user: this.user, screens: this.screens.map(publicScreen) };
  }

  onSessionChange(listener: (info: SessionInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async capture(request: CaptureRequest): Promise<CapturedImage> {
    await this.start();
    // One cheap round trip keeps the layout honest even for changes X sends no event for
    // (monitors made with `xrandr --setmonitor`).
    await this.refreshScreens();
    return this.capturer.capture(request, this.screens);
  }

  lock(message: string): Promise<void> {
    this.wanted.lockMessage = message;
    if (!this.lockScreen?.engaged) this.lockIsDown();
    return this.serial(async () => {
      await this.start();
      const conn = this.conn;
      try {
        await this.applyLock();
      } catch (e) {
        // Killed while we built it: the reconnect puts the lock back; wait for that below.
        if (conn && !conn.closed) throw e;
      }
      if (!(await this.whenLockShown()) && !this.contest.contested) {
        throw new Error(`the lock could not be shown on X display ${this.display} within ${lockShowMaxMs} ms`);
      }
      // Honest answer: lock() resolves once input is ours or we know it is not (lockIssue says which).
      await this.lockScreen?.inputSettled();
      this.updateIssue(true);
    });
  }

  unlock(): Promise<void> {
    this.wanted.lockMessage = null;
    this.lockIsUp();
    return this.serial(async () => {
      // Programs first: the lock gives back hidden windows and the focus, which a paused window
      // manager would take its time (up to remapWaitMs) to show.
      this.paused.resumeAll('unlocked');
      if (this.lockScreen) {
        await this.lockScreen.release();
        this.badge?.raise();
      }
      this.endContest('unlocked');
    });
  }

  lockIssue(): LockIssue | null {
    if (this.wanted.lockMessage === null) return null;
    if (this.lockDown === 'due') return 'lock-down';
    if (this.lockScreen?.inputProblem) return 'input-not-captured';
    return this.contest.contested ? 'contested' : null;
  }

  /** The lock is wanted but not on screen (being built, or its connection is gone): reported if it lasts. */
  private lockIsDown(): void {
    if (this.wanted.lockMessage === null || this.closed || this.lockDown !== null) return;
    this.lockDown = 'pending';
    this.lockDownTimer = setTimeout(() => {
      this.lockDownTimer = null;
      this.lockDown = 'due';
      this.updateIssue(false);
    }, lockDownReportMs);
    this.lockDownTimer.unref();
  }

  /** The lock is on screen again (or not wanted any more). */
  private lockIsUp(): void {
    if (this.lockDownTimer) clearTimeout(this.lockDownTimer);
    this.lockDownTimer = null;
    if (this.lockDown === null) return;
    const wasReported = this.lockDown === 'due';
    this.lockDown = null;
    if (wasReported) this.updateIssue(false);
  }

  onLockIssue(listener: (issue: LockIssue | null) => void): () => void {
    this.issueListeners.add(listener);
    return () => this.issueListeners.delete(listener);
  }

  /** Waits (bounded) until a lock is up on a live connection; false when it never came (or was not wanted any more). */
  private async whenLockShown(): Promise<boolean> {
    const deadline = Date.now() + lockShowMaxMs;
    for (;;) {
      if (this.lockScreen?.engaged && this.conn && !this.conn.closed) return true;
      if (this.closed || this.wanted.lockMessage === null || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, lockShowPollMs));
    }
  }

  /** Screens read by node-screenshots and by the GetImage fallback so far. */
  captureReads(): CaptureReads {
    return this.capturer.reads();
  }

  /** True while locked with keyboard and pointer held by the lock. */
  inputCaptured(): boolean {
    return this.lockScreen?.inputCaptured ?? false;
  }

  /** Programs paused because the lock is contested (PIDs; empty when none). */
  pausedPrograms(): number[] {
    return this.paused.pids();
  }

  showMessage(text: string, title?: string): Promise<void> {
    return this.serial(async () => {
      await this.start();
      const screen = this.screens.find((s) => s.primary) ?? this.screens[0]!;
      const raw = await renderMessageBox({
        title: title?.trim() || translate(this.language, 'student.message.title'),
        text,
        closeLabel: translate(this.language, 'student.message.close'),
        screenWidth: screen.width,
        screenHeight: screen.height,
      });
      const conn = this.connection();
      this.message?.show(toServerImage(conn, raw), screen, messageVisibleMs(text));
      await conn.sync();
    });
  }

  setMonitoringIndicator(state: MonitoringIndicatorState): Promise<void> {
    this.wanted.indicator = state.visible ? { ...state } : null;
    this.language = state.language;
    return this.serial(async () => {
      if (!state.visible) {
        this.badge?.hide();
        if (this.conn && !this.conn.closed) await this.conn.sync();
        return;
      }
      await this.start();
      await this.applyIndicator();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.wanted = { lockMessage: null, indicator: null };
    await this.serial(async () => {
      this.paused.resumeAll('agent-stopped');
      await this.lockScreen?.release().catch(() => undefined);
      this.badge?.hide();
      this.message?.dismiss();
      await this.conn?.sync().catch(() => undefined);
    }).catch(() => undefined);
    this.closed = true;
    await this.escalating?.catch(() => undefined);
    this.endContest('agent-stopped');
    this.lockIsUp();
    this.grabBreaker?.dispose();
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
    this.privateDir = null;
    this.privateXauthority = null;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.screensTimer) clearTimeout(this.screensTimer);
    if (this.issueTimer) clearTimeout(this.issueTimer);
    this.issueTimer = null;
    this.issueListeners.clear();
    this.reconnectTimer = null;
    this.screensTimer = null;
    this.conn?.close();
    this.conn = null;
    this.listeners.clear();
  }

  // ---- connection ----------------------------------------------------------------------------

  private connection(): XConnection {
    if (!this.conn || this.conn.closed) throw new Error(`X display ${this.display} is not connected`);
    return this.conn;
  }

  private async connect(): Promise<void> {
    const conn = await this.openConnection();
    if (this.closed) {
      conn.close();
      return;
    }
    let screens: Screen[];
    let user: { name: string | null; uid: number | null };
    try {
      this.protocolErrors = 0;
      // A student's XGrabServer must not freeze the lock's repairs.
      conn.imperviousToServerGrabs();
      conn.on('event', (ev) => this.dispatch(ev));
      conn.on('protocolError', (err) => this.onProtocolError(err));
      conn.on('closed', (reason) => {
        if (reason === 'connection-lost') this.onConnectionLost(conn);
      });
      // Root: know when windows appear or restack (lock and badge stay on top) and when it resizes.
      if (!(await conn.selectEvents(conn.root, eventMask.SubstructureNotify | eventMask.StructureNotify))) {
        this.log('desktop.root-events-refused');
      }
      conn.selectRandrEvents();
      // Reconnecting after xkill: the user has not changed in a second; spare the loginctl calls.
      const userKnown = this.user !== null && Date.now() - this.userReadAt < userNameMaxAgeMs;
      [screens, user] = await Promise.all([readScreens(conn), userKnown ? Promise.resolve({ name: this.user, uid: this.userUid }) : sessionUser(this.display)]);
      if (!userKnown) this.userReadAt = Date.now();
    } catch (e) {
      // Whatever failed after the connection opened, it is closed here: a reconnect loop must not
      // use up the X server's client slots.
      conn.close();
      throw e;
    }
    if (this.closed) {
      conn.close();
      return;
    }
    const before = this.sessionInfo();
    this.conn = conn;
    this.connectedAt = Date.now();
    this.user = user.name;
    this.userUid = user.uid;
    this.screens = screens;
    this.capturer.invalidate();
    this.lockScreen = new ScreenLock(conn, {
      log: this.lockLog.line,
      readScreens: () => readScreens(conn),
      onScreens: (s) => this.setScreens(s),
      ownWindows: () => [...(this.badge?.ownWindows() ?? []), ...(this.message?.ownWindows() ?? [])],
      hiddenWindows: this.hiddenWindows,
      onLoss: (kind) => this.onLoss(kind),
      onInputProblem: () => this.updateIssue(false),
      breakGrabs: (action) => this.breakGrabs(conn, action),
      contested: () => this.contest.contested,
      studentPaused: () => (this.escalating ?? (this.escalationDue ? this.escalate(conn) : Promise.resolve())).catch(() => undefined),
    });
    this.badge = new MonitoringBadge(conn, { log: this.log, isLocked: () => this.lockScreen?.engaged ?? false });
    this.message = new TeacherMessage(conn);
    // While locked, reconnects may come in a loop (a student killing the lock): rate-limited lines.
    (this.wanted.lockMessage !== null ? this.lockLog.line : this.log)(
      `desktop.connected display=${this.display} user=${user.name ?? '-'} screens=${screens.map((s) => `${s.width}x${s.height}+${s.x}+${s.y}`).join(',')}` +
        ` randr=${conn.extensions.randr ? 'yes' : 'no'} shape=${conn.extensions.shape ? 'yes' : 'no'} damage=${conn.extensions.damage ? 'yes' : 'no'}` +
        ` x-resource=${conn.extensions.res ? 'yes' : 'no'} xtest=${conn.extensions.xtest ? 'yes' : 'no'}`,
    );
    if (before.screens.length > 0 && JSON.stringify(before) !== JSON.stringify(this.sessionInfo())) this.notify();
    // After a reconnect: put back what the teacher asked for. A failure here must not make the
    // connection look unusable; lock() and setMonitoringIndicator() apply their state again anyway.
    try {
      // Keys SafeLab left on (a keymap restore that failed, a previous run that died) go off first.
      await this.grabBreaker?.restoreIfLeftOn(conn);
      // The student's programs are paused before the lock shows again: a client that kills
      // every window as it maps gets no chance at the new one.
      if (this.wanted.lockMessage !== null && this.escalationDue) await this.escalate(conn);
      if (this.wanted.lockMessage !== null) await this.applyLock();
      else this.showHiddenWindows(conn);
      if (this.wanted.indicator) await this.applyIndicator();
    } catch (e) {
      (this.wanted.lockMessage !== null ? this.lockLog.line : this.log)(`desktop.restore-failed error=${JSON.stringify((e as Error).message)}`);
    }
  }

  /**
   * Opens the X connection. With a session Xauthority file (an agent run as a service), the cookie
   * read from it once is used again; the file is read again only when the X server turns the
   * cookie down (it restarted: a new login).
   */
  private async openConnection(): Promise<XConnection> {
    // Without a file of our own the package reads $XAUTHORITY / ~/.Xauthority (an agent run as the user).
    if (!this.xauthority) return XConnection.open(this.display);
    if (this.cookie) {
      try {
        return await XConnection.open(this.display, { auth: this.cookie });
      } catch (e) {
        if (!(e instanceof XConnectError && e.refused)) throw e;
        this.log(`desktop.cookie-refused display=${this.display} (reading ${this.xauthority} again)`);
        this.cookie = null;
        this.xServer = null;
      }
    }
    const cookie = await readCookie(this.xauthority, this.display);
    const conn = await XConnection.open(this.display, { auth: cookie });
    this.cookie = cookie;
    await this.keepPrivateCookie(cookie).catch((e: unknown) => this.log(`desktop.private-xauthority-failed error=${JSON.stringify((e as Error).message)}`));
    return conn;
  }

  /** Writes the cookie where only the agent can read it, for the X tools and node-screenshots. */
  private async keepPrivateCookie(cookie: XCookie): Promise<void> {
    this.privateDir ??= mkdtempSync(join(tmpdir(), 'safelab-xauth-'));
    this.privateXauthority = await writePrivateXauthority(this.privateDir, this.display, cookie);
    this.sessionEnv.XAUTHORITY = this.privateXauthority;
  }

  /** Unlocked while the connection was down: map back the windows the lock had hidden. */
  private showHiddenWindows(conn: XConnection): void {
    const hidden = [...this.hiddenWindows];
    this.hiddenWindows.clear();
    for (const wid of hidden) conn.mapWindow(wid);
  }

  private onConnectionLost(conn: XConnection): void {
    if (this.conn !== conn) return;
    const locked = this.wanted.lockMessage !== null;
    const lived = Date.now() - this.connectedAt;
    this.logConnectionLost(locked);
    this.lockScreen?.dispose();
    this.badge?.dispose();
    this.message?.dispose();
    this.lockScreen = null;
    this.badge = null;
    this.message = null;
    this.conn = null;
    if (locked) {
      // Locked: back at once, every time; the contest defence is what stops a loop.
      this.lockIsDown();
      this.reconnectDelay = reconnectFirstDelayMs;
      this.onLoss('connection-killed');
    } else {
      // Unlocked (a badge or message was killed): a connection that keeps dying young backs off.
      this.reconnectDelay = lived < shortLivedConnectionMs ? Math.min(reconnectMaxDelayMs, Math.max(100, this.reconnectDelay * 2)) : reconnectFirstDelayMs;
    }
    this.scheduleReconnect();
  }

  /** One line per lost connection, but at most one per connectionLostLogGapMs (a kill loop must not flood the log). */
  private logConnectionLost(locked: boolean): void {
    const now = Date.now();
    this.lostSinceLog++;
    if (now - this.lostLogAt < connectionLostLogGapMs) return;
    const more = this.lostSinceLog > 1 ? ` lost_since_last_line=${this.lostSinceLog}` : '';
    this.log(`desktop.x-connection-lost display=${this.display} locked=${locked}${more}`);
    this.lostLogAt = now;
    this.lostSinceLog = 0;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start().then(
        () => {
          // Lost again while it was being restored (a kill loop): the loss came before this
          // connection counted as ours, so try again here.
          if (!this.conn || this.conn.closed) return this.scheduleReconnect();
          (this.wanted.lockMessage !== null ? this.lockLog.line : this.log)('desktop.reconnected');
        },
        (e: unknown) => {
          this.log(`desktop.reconnect-failed error=${JSON.stringify((e as Error).message)}`);
          this.reconnectDelay = Math.min(reconnectMaxDelayMs, Math.max(100, this.reconnectDelay * 2));
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
  }

  private onProtocolError(err: XProtocolError): void {
    // Typically a request on a window that vanished in between (BadWindow): the watchdogs cope.
    if (++this.protocolErrors <= maxLoggedProtocolErrors) {
      this.log(`desktop.x-error code=${err.error ?? '?'} major=${err.majorOpcode ?? '?'} minor=${err.minorOpcode ?? '?'} message=${JSON.stringify(err.message)}`);
    }
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.ops.then(task);
    this.ops = run.catch(() => undefined);
    return run;
  }

  // ---- contested lock ------------------------------------------------------------------------

  /** Something took the lock away without the teacher asking: count it, escalate when contested. */
  private onLoss(kind: LockLoss): void {
    if (this.wanted.lockMessage === null || this.closed) return;
    const started = this.contest.record(kind);
    if (!this.contest.contested) return;
    if (started || Date.now() - this.lastEscalationAt >= repauseMinGapMs) this.escalationDue = true;
    if (started) this.updateIssue(false);
    const conn = this.conn;
    // Without a connection, connect() escalates before it shows the lock again.
    if (this.escalationDue && conn && !conn.closed) void this.escalate(conn).catch(() => undefined);
  }

  /**
   * Pauses the student's programs: every account with an X client on this display except root's
   * (X-Resource names each client's process), so a script fighting the lock stops.
   */
  private escalate(conn: XConnection): Promise<void> {
    if (this.escalating) return this.escalating;
    this.escalationDue = false;
    this.lastEscalationAt = Date.now();
    this.escalating = (async () => {
      const clients = await conn.clientIds().catch(() => undefined);
      if (clients === undefined || conn.closed) {
        // The connection died under the question (the student's loop killed it): not a server
        // without X-Resource. The next connection asks again before it shows the lock.
        this.escalationDue = true;
        return;
      }
      if (clients === null) {
        this.lockLog.line('lock.pause-unavailable reason="the X server does not tell which process each client is (no X-Resource 1.2)"');
        return;
      }
      if (this.wanted.lockMessage === null) return; // unlocked meanwhile
      const pids = clients.map((c) => c.pid).filter((pid): pid is number => pid !== null && pid !== process.pid);
      const [xServerPid, compositor] = await Promise.all([this.xServerPidNow(), this.compositorPid(conn).catch(() => null)]);
      if (this.wanted.lockMessage === null) return;
      const trustCompositor = this.fruitlessEscalations < compositorTrustedEscalations;
      const request = { xClientPids: pids, xServerPid, sessionUid: this.userUid };
      let added = await this.paused.pause({ ...request, keepRunningPids: compositor !== null && trustCompositor ? [compositor] : [] });
      if (added === 0) {
        // Nothing new to pause, yet the lock was lost again (escalations follow losses).
        this.fruitlessEscalations++;
        if (compositor !== null && this.fruitlessEscalations === compositorTrustedEscalations) {
          // Everything else is paused and the lock is still being fought: what we spared fights it.
          this.lockLog.line(`lock.compositor-paused pid=${compositor} reason="the lock is still being fought with every other program paused"`);
          added = await this.paused.pause({ ...request, keepRunningPids: [] });
        }
      }
      if (added > 0) this.lockScreen?.requestCheck(0);
    })().finally(() => {
      this.escalating = null;
    });
    return this.escalating;
  }

  /**
   * The X server's PID (never paused), found by its socket (x-server.ts) and kept while that
   * process lives; null for a remote display or when it cannot be seen.
   */
  private async xServerPidNow(): Promise<number | null> {
    const known = this.xServer;
    if (known) {
      const now = await readProcess(known.pid);
      if (now && now.startTicks === known.startTicks) return known.pid;
      this.xServer = null;
    }
    const number = localDisplayNumber(this.display);
    if (number === null) return null;
    const found = await findXServerProcess(number).catch(() => null);
    const entry = found ? await readProcess(found.pid) : null;
    if (!found || !entry) {
      this.lockLog.line(`lock.x-server-unknown display=${this.display} reason="no process seen holding the display's socket"`);
      return null;
    }
    this.xServer = { pid: found.pid, startTicks: entry.startTicks };
    return found.pid;
  }

  /**
   * The compositing manager's PID: the process of the client owning the _NET_WM_CM_S0 selection,
   * as the X server reports it (X-Resource; a window property like _NET_WM_PID could say anything).
   */
  private async compositorPid(conn: XConnection): Promise<number | null> {
    const owner = await conn.selectionOwner(await conn.internAtom('_NET_WM_CM_S0'));
    if (!owner) return null;
    const ids = await conn.clientIds(owner);
    return ids?.find((c) => c.pid !== null)?.pid ?? null;
  }

  private async breakGrabs(conn: XConnection, action: GrabBreakAction): Promise<boolean> {
    if (!this.grabBreaker || conn.closed) return false;
    return this.grabBreaker.breakGrabs(conn, action);
  }

  /** The lock ended (or the agent stops): resume paused programs and close the episode. */
  private endContest(reason: string): void {
    this.escalationDue = false;
    this.fruitlessEscalations = 0;
    this.paused.resumeAll(reason);
    this.contest.end();
    this.lockLog.end();
    this.updateIssue(true);
  }

  /**
   * Tells listeners the lock's issue when it changed. `now`: right away (the answer to a lock or
   * unlock command); otherwise at most once per lockIssueReportMinGapMs, the latest value winning.
   */
  private updateIssue(now: boolean): void {
    if (this.closed && this.issueListeners.size === 0) return;
    const wait = now ? 0 : Math.max(0, this.lastIssueReportAt + lockIssueReportMinGapMs - Date.now());
    if (wait === 0) {
      if (this.issueTimer) clearTimeout(this.issueTimer);
      this.issueTimer = null;
      this.reportIssue();
      return;
    }
    if (this.issueTimer) return;
    this.issueTimer = setTimeout(() => {
      this.issueTimer = null;
      this.reportIssue();
    }, wait);
    this.issueTimer.unref();
  }

  private reportIssue(): void {
    const issue = this.lockIssue();
    if (issue === this.reportedIssue) return;
    this.reportedIssue = issue;
    this.lastIssueReportAt = Date.now();
    this.log(`lock.issue ${issue ?? 'none'}`);
    for (const listener of this.issueListeners) {
      try {
        listener(issue);
      } catch (e) {
        this.log(`desktop.listener-failed error=${JSON.stringify((e as Error).message)}`);
      }
    }
  }

  // ---- features -------------------------------------------------------------------------------

  private async applyLock(): Promise<void> {
    const message = this.wanted.lockMessage;
    const lock = this.lockScreen;
    if (message === null || !lock) return;
    const title = translate(this.language, 'student.lock.title');
    const text = message.trim() || translate(this.language, 'student.lock.defaultMessage');
    const content: LockContent = {
      panelFor: (width, height) =>
        this.picture(`lock\n${title}\n${text}\n${width}x${height}`, () => renderLockPanel({ title, message: text, screenWidth: width, screenHeight: height })),
    };
    await lock.engage(content, this.screens);
    if (lock.engaged && lock === this.lockScreen && this.wanted.lockMessage !== null) this.lockIsUp();
  }

  private async applyIndicator(): Promise<void> {
    const state = this.wanted.indicator;
    const badge = this.badge;
    if (!state || !badge) return;
    const text = state.className
      ? translate(state.language, 'student.indicator.monitoredLesson', { className: state.className })
      : translate(state.language, 'student.indicator.monitored');
    const tallest = Math.max(...this.screens.map((s) => s.height));
    const picture = await this.picture(`badge\n${text}\n${tallest}`, () => renderBadge(text, tallest));
    badge.show(picture, this.screens);
    await this.connection().sync();
  }

  /** Rendered pictures, kept so a lock rebuilt after xkill needs no new rendering (small: a few per lesson). */
  private picture(key: string, render: () => Promise<RawImage>): Promise<ServerImage> {
    let cached = this.pictures.get(key);
    if (!cached) {
      if (this.pictures.size >= 16) this.pictures.clear();
      cached = render().then((raw) => toServerImage(this.connection(), raw));
      cached.catch(() => this.pictures.delete(key));
      this.pictures.set(key, cached);
    }
    return cached;
  }

  // ---- screens --------------------------------------------------------------------------------

  private dispatch(ev: XEvent): void {
    if (ev.name === 'DamageNotify') {
      this.capturer.screenDrawn();
      return;
    }
    this.lockScreen?.handleEvent(ev);
    this.badge?.handleEvent(ev);
    this.message?.handleEvent(ev);
    const conn = this.conn;
    const rootResized = ev.name === 'ConfigureNotify' && conn !== null && ev.wid1 === conn.root;
    if (ev.name === 'RRScreenChangeNotify' || ev.name === 'RRNotify' || rootResized) this.scheduleScreensRefresh();
  }

  private scheduleScreensRefresh(): void {
    if (this.screensTimer || this.closed) return;
    this.screensTimer = setTimeout(() => {
      this.screensTimer = null;
      this.refreshScreens().catch((e: unknown) => this.log(`desktop.screens-failed error=${JSON.stringify((e as Error).message)}`));
    }, screensSettleMs);
    this.screensTimer.unref();
  }

  private async refreshScreens(): Promise<void> {
    const conn = this.connection();
    this.setScreens(await readScreens(conn));
  }

  private setScreens(screens: Screen[]): void {
    if (sameScreens(screens, this.screens)) return;
    this.screens = screens;
    this.capturer.invalidate();
    this.log(`desktop.screens-changed screens=${screens.map((s) => `${s.width}x${s.height}+${s.x}+${s.y}`).join(',')}`);
    if (this.wanted.indicator) void this.serial(() => this.applyIndicator()).catch(() => undefined);
    this.notify();
  }

  private notify(): void {
    const info = this.sessionInfo();
    for (const listener of this.listeners) {
      try {
        listener(info);
      } catch (e) {
        this.log(`desktop.listener-failed error=${JSON.stringify((e as Error).message)}`);
      }
    }
  }
}
