// The seam between the agent core and a student's desktop session. The core never calls the OS
// directly: capture, lock, messages and the monitoring indicator go through this interface.
// Implementations: ./simulated (demo lab, load tests), ./linux (X11), ./win32 (session helper).

import type { AgentDesktopProblem, LockIssue, ScreenInfo, SessionInfo } from '../../shared/protocol/messages.js';

export type { LockIssue, ScreenInfo, SessionInfo };

/** Why the agent cannot drive the desktop now (see agentDesktopProblemSchema). */
export type DesktopProblem = AgentDesktopProblem;

export interface CaptureRequest {
  /** Output width in pixels; height follows the aspect ratio. Never upscales. */
  width: number;
  /** JPEG quality 1..100. */
  quality: number;
  /** Monitor index from SessionInfo.screens, or 'all' for the whole desktop. */
  screen: number | 'all';
}

export interface CapturedImage {
  jpeg: Buffer;
  width: number;
  height: number;
  capturedAt: number;
}

export interface MonitoringIndicatorState {
  visible: boolean;
  language: 'vi' | 'en';
  className?: string;
}

export type DesktopPlatform = 'linux' | 'win32' | 'simulated';

export interface SessionDesktop {
  readonly platform: DesktopPlatform;
  /** Connects to the session (X display, helper pipe, …). Throws a readable error when it cannot. */
  start(): Promise<void>;
  /** Current user and screens. Cheap: answered from what start() and change watching learned. */
  sessionInfo(): SessionInfo;
  /** Called when the user or the screens change; returns an unsubscribe function. */
  onSessionChange(listener: (info: SessionInfo) => void): () => void;
  /** Captures, scales and JPEG-encodes one image. At most one call is in flight (the core ensures it). */
  capture(request: CaptureRequest): Promise<CapturedImage>;
  /** Covers every screen with the message and blocks input. Idempotent; a second call updates the message. */
  lock(message: string): Promise<void>;
  /** Removes the lock and restores input. Idempotent. */
  unlock(): Promise<void>;
  /**
   * Why the lock does not hold as the teacher expects (null: it holds, or no lock). Platforms that
   * cannot tell leave both methods out.
   */
  lockIssue?(): LockIssue | null;
  /** Called when lockIssue() changes (rate-limited by the platform); returns an unsubscribe function. */
  onLockIssue?(listener: (issue: LockIssue | null) => void): () => void;
  /**
   * Why this desktop cannot be driven now (no X session to open yet), or null. Only a desktop that
   * is still being opened has one (pending-desktop.ts); real platforms leave both methods out.
   */
  problem?(): DesktopProblem | null;
  /** Called when problem() changes; null means the desktop is open now. Returns an unsubscribe function. */
  onProblem?(listener: (problem: DesktopProblem | null) => void): () => void;
  /** Shows a message from the teacher without blocking work. */
  showMessage(text: string, title?: string): Promise<void>;
  /** Shows or hides the "your teacher may see this screen" badge. Idempotent. */
  setMonitoringIndicator(state: MonitoringIndicatorState): Promise<void>;
  /** Releases everything (unlocks input, closes windows and connections). */
  close(): Promise<void>;
}
