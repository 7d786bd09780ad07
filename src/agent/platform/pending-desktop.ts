// The desktop of a PC whose session cannot be opened yet (no X at boot, a Wayland greeter, a broken
// Xauthority): it stands in for the real one so the agent keeps its console connection and its web
// filter, says why it cannot drive the screen (problem(), which the console shows on the PC's
// tile), keeps trying in the background with capped backoff (one timer at a time, never a busy
// loop), and hands every call over to the real desktop once it opens.
//
// While it waits, nothing pretends to work: a lock, a message, a picture or a visible monitoring
// badge fails with DesktopNotOpenError (the ack says why), so the teacher never reads "locked" for
// a screen nobody covered. Unlocking and hiding the badge succeed: there is nothing to undo. The
// agent core puts the saved lock and the lesson badge up once the desktop opens (onProblem(null)).

import { Backoff, type BackoffPolicy } from '../backoff.js';
import type {
  CaptureRequest,
  CapturedImage,
  DesktopPlatform,
  DesktopProblem,
  LockIssue,
  MonitoringIndicatorState,
  SessionDesktop,
  SessionInfo,
} from './session-desktop.js';

/** The problem code the console translates (ui.tile.desktopProblem.desktop-unavailable). */
export const desktopUnavailableCode = 'desktop-unavailable';

/**
 * Waits between tries to open the desktop: the first soon (an X server that was still starting),
 * then doubling to the cap, so a PC that never gets a session costs one try a minute.
 */
export const desktopRetryPolicy: BackoffPolicy = { initialDelayMs: 2_000, maxDelayMs: 60_000, jitterRatio: 0.2 };

/** Longest problem detail sent to the console (the wire allows 256 characters). */
const maxDetailChars = 256;

/** A call that needs the screen while the desktop is not open yet. */
export class DesktopNotOpenError extends Error {
  readonly code = desktopUnavailableCode;
  constructor(what: string, detail: string) {
    super(`cannot ${what}: the desktop is not open yet (${detail})`);
    this.name = 'DesktopNotOpenError';
  }
}

export interface PendingDesktopOptions {
  platform: DesktopPlatform;
  /** One try to open the real desktop; rejects with the reasons it could not. */
  open: () => Promise<SessionDesktop>;
  /** Why the first try failed (it ran before this object existed). */
  firstFailure: string;
  log: (event: string, fields?: Record<string, string | number>) => void;
  policy?: BackoffPolicy;
}

export class PendingDesktop implements SessionDesktop {
  readonly platform: DesktopPlatform;
  private desktop: SessionDesktop | null = null;
  private current: DesktopProblem | null;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | null = null;
  private opening: Promise<void> | null = null;
  private tries = 1;
  private closed = false;
  private readonly sessionListeners = new Set<(info: SessionInfo) => void>();
  private readonly lockIssueListeners = new Set<(issue: LockIssue | null) => void>();
  private readonly problemListeners = new Set<(problem: DesktopProblem | null) => void>();

  constructor(private readonly options: PendingDesktopOptions) {
    this.platform = options.platform;
    this.current = { code: desktopUnavailableCode, detail: options.firstFailure.slice(0, maxDetailChars) };
    this.backoff = new Backoff(options.policy ?? desktopRetryPolicy);
    options.log('desktop-unavailable', { reason: options.firstFailure, retryInMs: this.schedule() });
  }

  /** The real desktop once it opened (tests). */
  get opened(): SessionDesktop | null {
    return this.desktop;
  }

  // ---- SessionDesktop ----------------------------------------------------------------------

  /** Already trying in the background; a call makes the next try happen now. */
  async start(): Promise<void> {
    if (this.desktop || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tryOpen();
  }

  problem(): DesktopProblem | null {
    return this.current ? { ...this.current } : null;
  }

  onProblem(listener: (problem: DesktopProblem | null) => void): () => void {
    this.problemListeners.add(listener);
    return () => this.problemListeners.delete(listener);
  }

  sessionInfo(): SessionInfo {
    return this.desktop?.sessionInfo() ?? { user: null, screens: [] };
  }

  onSessionChange(listener: (info: SessionInfo) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  capture(request: CaptureRequest): Promise<CapturedImage> {
    return this.desktop ? this.desktop.capture(request) : Promise.reject(this.notOpen('capture the screen'));
  }

  lock(message: string): Promise<void> {
    return this.desktop ? this.desktop.lock(message) : Promise.reject(this.notOpen('lock the screen'));
  }

  unlock(): Promise<void> {
    return this.desktop ? this.desktop.unlock() : Promise.resolve();
  }

  lockIssue(): LockIssue | null {
    return this.desktop?.lockIssue?.() ?? null;
  }

  onLockIssue(listener: (issue: LockIssue | null) => void): () => void {
    this.lockIssueListeners.add(listener);
    return () => this.lockIssueListeners.delete(listener);
  }

  showMessage(text: string, title?: string): Promise<void> {
    return this.desktop ? this.desktop.showMessage(text, title) : Promise.reject(this.notOpen('show the message'));
  }

  setMonitoringIndicator(state: MonitoringIndicatorState): Promise<void> {
    if (this.desktop) return this.desktop.setMonitoringIndicator(state);
    return state.visible ? Promise.reject(this.notOpen('show the monitoring badge')) : Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A try still running closes what it opens (see tryOpen).
    await this.opening?.catch(() => undefined);
    await this.desktop?.close();
  }

  // ---- trying again ------------------------------------------------------------------------

  private notOpen(what: string): DesktopNotOpenError {
    return new DesktopNotOpenError(what, this.current?.detail ?? 'no session');
  }

  /** Arms the one retry timer; returns its delay. */
  private schedule(): number {
    const delay = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tryOpen();
    }, delay);
    // The connection and the filter keep the agent alive; this timer alone must not.
    this.timer.unref();
    return delay;
  }

  private tryOpen(): Promise<void> {
    this.opening ??= this.openOnce().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    this.tries++;
    let desktop: SessionDesktop;
    try {
      desktop = await this.options.open();
    } catch (error) {
      if (this.closed) return;
      const detail = ((error as Error)?.message ?? String(error)).slice(0, maxDetailChars);
      const delay = this.schedule();
      // One line when the reason changes, not one a minute for a PC that never gets a session.
      if (detail !== this.current?.detail) {
        this.options.log('desktop-unavailable', { reason: detail, tries: this.tries, retryInMs: delay });
        this.current = { code: desktopUnavailableCode, detail };
        this.emitProblem();
      }
      return;
    }
    if (this.closed) {
      await desktop.close().catch(() => undefined);
      return;
    }
    this.desktop = desktop;
    this.current = null;
    desktop.onSessionChange((info) => {
      for (const listener of this.sessionListeners) listener(info);
    });
    desktop.onLockIssue?.((issue) => {
      for (const listener of this.lockIssueListeners) listener(issue);
    });
    this.options.log('desktop-opened', { platform: desktop.platform, tries: this.tries });
    const info = desktop.sessionInfo();
    for (const listener of this.sessionListeners) listener(info);
    this.emitProblem();
  }

  private emitProblem(): void {
    const problem = this.problem();
    for (const listener of this.problemListeners) listener(problem);
  }
}
