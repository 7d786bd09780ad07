// The Linux/X11 SessionDesktop: real screen capture, a lock students cannot get past, the
// monitoring badge and teacher messages on one X display. It keeps what the teacher asked for
// (locked? badge?) apart from the X connection, so when the connection dies — a student ran
// `xkill` on the lock, say — it reconnects and puts everything back within a second.

import type {
  CaptureRequest,
  CapturedImage,
  MonitoringIndicatorState,
  SessionDesktop,
  SessionInfo,
} from '../session-desktop.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import { ScreenCapture, type CaptureSource } from './capture.js';
import { MonitoringBadge } from './indicator.js';
import { ScreenLock, type LockContent } from './lock.js';
import { TeacherMessage, messageVisibleMs } from './message.js';
import { toServerImage, type ServerImage } from './overlay-window.js';
import { renderBadge, renderLockPanel, renderMessageBox } from './panels.js';
import { publicScreen, readScreens, sameScreens, type Screen } from './screens.js';
import { sessionUserName } from './session-user.js';
import { eventMask, XConnection, type XEvent, type XProtocolError } from './x-connection.js';
import type { RawImage } from './zpixmap.js';

export interface LinuxDesktopOptions {
  /** X display (":0"); defaults to $DISPLAY. */
  display?: string;
  /** Language of what the student sees until a lesson says otherwise. */
  language?: Language;
  log?: (line: string) => void;
  /** Screen reading: node-screenshots with a GetImage fallback ('auto', default), or GetImage only ('x11'). */
  capture?: CaptureSource;
}

/** Reconnect backoff after the X connection was lost: first try at once, then doubling to the cap. */
export const reconnectFirstDelayMs = 0;
export const reconnectMaxDelayMs = 5_000;

/** Screen-change events come in bursts (RandR sends several per change): read the layout once after. */
export const screensSettleMs = 100;

/** At most this many X protocol errors are logged per connection (they are usually harmless races). */
export const maxLoggedProtocolErrors = 20;

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
  private readonly log: (line: string) => void;
  private language: Language;

  private conn: XConnection | null = null;
  private lockScreen: ScreenLock | null = null;
  private badge: MonitoringBadge | null = null;
  private message: TeacherMessage | null = null;
  private readonly capturer: ScreenCapture;
  private screens: Screen[] = [];
  private user: string | null = null;
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
  private readonly hiddenWindows: number[] = [];

  constructor(options: LinuxDesktopOptions = {}) {
    const display = options.display ?? process.env['DISPLAY'];
    if (!display) throw new Error('cannot use the Linux desktop: no X display (DISPLAY is not set and no display was given)');
    this.display = display;
    this.language = options.language ?? 'vi';
    this.log = options.log ?? (() => undefined);
    this.capturer = new ScreenCapture(display, () => this.connection(), options.capture ?? 'auto', this.log);
  }

  // ---- SessionDesktop ----------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.closed) throw new Error(`the desktop on ${this.display} was closed`);
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
    return this.serial(async () => {
      await this.start();
      await this.applyLock();
    });
  }

  unlock(): Promise<void> {
    this.wanted.lockMessage = null;
    return this.serial(async () => {
      if (!this.lockScreen) return;
      await this.lockScreen.release();
      this.badge?.raise();
    });
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
      await this.lockScreen?.release().catch(() => undefined);
      this.badge?.hide();
      this.message?.dismiss();
      await this.conn?.sync().catch(() => undefined);
    }).catch(() => undefined);
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.screensTimer) clearTimeout(this.screensTimer);
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
    const conn = await XConnection.open(this.display);
    if (this.closed) {
      conn.close();
      return;
    }
    this.protocolErrors = 0;
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
    const [screens, user] = await Promise.all([readScreens(conn), sessionUserName(this.display)]);
    const before = this.sessionInfo();
    this.conn = conn;
    this.user = user;
    this.screens = screens;
    this.capturer.invalidate();
    this.lockScreen = new ScreenLock(conn, {
      log: this.log,
      readScreens: () => readScreens(conn),
      onScreens: (s) => this.setScreens(s),
      ownWindows: () => [...(this.badge?.ownWindows() ?? []), ...(this.message?.ownWindows() ?? [])],
      hiddenWindows: this.hiddenWindows,
    });
    this.badge = new MonitoringBadge(conn, { log: this.log, isLocked: () => this.lockScreen?.engaged ?? false });
    this.message = new TeacherMessage(conn);
    this.reconnectDelay = reconnectFirstDelayMs;
    this.log(
      `desktop.connected display=${this.display} user=${user ?? '-'} screens=${screens.map((s) => `${s.width}x${s.height}+${s.x}+${s.y}`).join(',')}` +
        ` randr=${conn.extensions.randr ? 'yes' : 'no'} shape=${conn.extensions.shape ? 'yes' : 'no'} damage=${conn.extensions.damage ? 'yes' : 'no'}`,
    );
    if (before.screens.length > 0 && JSON.stringify(before) !== JSON.stringify(this.sessionInfo())) this.notify();
    // After a reconnect: put back what the teacher asked for. A failure here must not make the
    // connection look unusable; lock() and setMonitoringIndicator() apply their state again anyway.
    try {
      if (this.wanted.lockMessage !== null) await this.applyLock();
      else this.showHiddenWindows(conn);
      if (this.wanted.indicator) await this.applyIndicator();
    } catch (e) {
      this.log(`desktop.restore-failed error=${JSON.stringify((e as Error).message)}`);
    }
  }

  /** Unlocked while the connection was down: map back the windows the lock had hidden. */
  private showHiddenWindows(conn: XConnection): void {
    for (const wid of this.hiddenWindows.splice(0)) conn.mapWindow(wid);
  }

  private onConnectionLost(conn: XConnection): void {
    if (this.conn !== conn) return;
    this.log(`desktop.x-connection-lost display=${this.display} locked=${this.wanted.lockMessage !== null}`);
    this.lockScreen?.dispose();
    this.badge?.dispose();
    this.message?.dispose();
    this.lockScreen = null;
    this.badge = null;
    this.message = null;
    this.conn = null;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.start().then(
        () => this.log('desktop.reconnected'),
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
