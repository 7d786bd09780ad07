// Live thumbnails, pulled only while a lesson runs in a machine's lab and the PC has acknowledged
// it. One timer for all machines: each tick asks every due machine for one image, at most one
// request in flight per machine (a busy or slow PC is skipped, never queued), faster and larger
// for a machine a teacher watches large. Who watches what is kept per API session (a browser
// tab, the desktop window), so two screens watching different PCs do not override each other.
// Frames are checked against the request they answer and passed on, never stored.

import { defaultThumbnailQuality, defaultThumbnailWidthPx } from '../../shared/protocol/limits.js';
import { decodeThumbnailFrame, wholeDesktopScreen, type ThumbnailFrame } from '../../shared/protocol/frame.js';
import { ProtocolError } from '../../shared/protocol/errors.js';
import type { AgentMessage } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { EventBus } from '../api/events.js';
import type { Lessons } from '../lessons/lessons.js';

/** Grid refresh period for each machine. */
export const defaultThumbnailIntervalMs = 2000;
/** Refresh period of a machine a teacher opened large. */
export const focusThumbnailIntervalMs = 500;
export const focusThumbnailWidthPx = 960;
export const focusThumbnailQuality = 70;
/** A request unanswered this long is given up, so one lost frame cannot stall a machine. */
export const thumbnailRequestTimeoutMs = 5000;
/** Sessions whose focus is remembered; the oldest is forgotten beyond this (a client that never said goodbye). */
export const maxFocusSessions = 32;

/** A monitor index from the machine's screens, or the whole desktop. */
export type ScreenChoice = number | 'all';

/** What the scheduler uses of an agent connection. */
export type ThumbnailConnection = Pick<
  AgentConnection,
  'machineId' | 'labId' | 'label' | 'helloReceived' | 'watchable' | 'thumbnailPendingId' | 'thumbnailRequestedAt' | 'thumbnailLastIssuedId' | 'send' | 'reject'
>;

export interface ThumbnailSchedulerOptions {
  hub: { onlineConnections(): Iterable<ThumbnailConnection> };
  lessons: Pick<Lessons, 'isRunning' | 'anyRunning'>;
  events: Pick<EventBus, 'emit' | 'listening'>;
  log(line: string): void;
  intervalMs?: number;
  focusIntervalMs?: number;
  requestTimeoutMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

export class ThumbnailScheduler {
  readonly intervalMs: number;
  readonly focusIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly options: ThumbnailSchedulerOptions;
  private readonly now: () => number;
  /** What each session watches large, oldest first. */
  private readonly focusBySession = new Map<string, { machineId: string; screen: ScreenChoice }>();
  /** Machines watched large by anyone, with the screen asked for (the latest choice wins). */
  private focused = new Map<string, ScreenChoice>();
  private timer: NodeJS.Timeout | null = null;
  private tickMs = 0;

  constructor(options: ThumbnailSchedulerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.intervalMs = Math.max(50, options.intervalMs ?? defaultThumbnailIntervalMs);
    this.focusIntervalMs = Math.min(this.intervalMs, options.focusIntervalMs ?? focusThumbnailIntervalMs);
    this.requestTimeoutMs = options.requestTimeoutMs ?? thumbnailRequestTimeoutMs;
  }

  /** `session` opened `machineId` large (showing `screen`), or closed it (null). */
  focus(session: string, machineId: string | null, screen: ScreenChoice = 'all'): void {
    this.focusBySession.delete(session);
    if (machineId !== null) {
      this.focusBySession.set(session, { machineId, screen });
      while (this.focusBySession.size > maxFocusSessions) this.focusBySession.delete(this.focusBySession.keys().next().value!);
    }
    this.focusChanged();
  }

  /** The session is gone (its browser tab closed): whatever it watched returns to the grid rate. */
  endSession(session: string): void {
    if (this.focusBySession.delete(session)) this.focusChanged();
  }

  /** The machines watched large now, with their screens (for the API and tests). */
  focusedMachines(): ReadonlyMap<string, ScreenChoice> {
    return this.focused;
  }

  private focusChanged(): void {
    const focused = new Map<string, ScreenChoice>();
    for (const { machineId, screen } of this.focusBySession.values()) focused.set(machineId, screen);
    this.focused = focused;
    this.refresh();
  }

  /** A lesson started or ended somewhere: run the timer only while some lesson runs. */
  lessonsChanged(labId: string): void {
    if (!this.options.lessons.isRunning(labId)) {
      // Requests in flight for that lab are dropped: their frames arrive after the lesson.
      for (const connection of this.options.hub.onlineConnections()) {
        if (connection.labId === labId) connection.thumbnailPendingId = 0;
      }
    }
    this.refresh();
  }

  refresh(): void {
    const wanted = this.options.lessons.anyRunning ? (this.focused.size > 0 ? this.focusIntervalMs : this.intervalMs) : 0;
    if (wanted === this.tickMs) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tickMs = wanted;
    if (wanted > 0) {
      this.timer = setInterval(this.tick, wanted);
      this.timer.unref();
      this.tick();
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tickMs = 0;
  }

  private readonly tick = (): void => {
    const now = this.now();
    const { lessons } = this.options;
    // Timer jitter must not make a machine miss every other tick.
    const slack = this.tickMs / 2;
    for (const connection of this.options.hub.onlineConnections()) {
      // Both sides must agree a lesson runs: the console's lesson and the PC's acknowledgement.
      if (!connection.helloReceived || !connection.watchable || !lessons.isRunning(connection.labId)) continue;
      if (connection.thumbnailPendingId !== 0) {
        if (now - connection.thumbnailRequestedAt < this.requestTimeoutMs) continue;
        connection.thumbnailPendingId = 0; // given up; the next tick asks again
      }
      const screen = this.focused.get(connection.machineId);
      const focused = screen !== undefined;
      if (now - connection.thumbnailRequestedAt < (focused ? this.focusIntervalMs : this.intervalMs) - slack) continue;
      const requestId = connection.thumbnailLastIssuedId >= 0xffffffff ? 1 : connection.thumbnailLastIssuedId + 1;
      connection.thumbnailLastIssuedId = requestId;
      connection.thumbnailPendingId = requestId;
      connection.thumbnailRequestedAt = now;
      connection.send({
        type: 'thumbnail',
        requestId,
        width: focused ? focusThumbnailWidthPx : defaultThumbnailWidthPx,
        quality: focused ? focusThumbnailQuality : defaultThumbnailQuality,
        screen: screen ?? 'all',
      });
    }
  };

  /** A binary frame arrived: it must answer the request in flight. */
  onFrame(connection: ThumbnailConnection, data: Buffer): void {
    let frame: ThumbnailFrame;
    try {
      frame = decodeThumbnailFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (error) {
      connection.reject(error instanceof ProtocolError ? error : new ProtocolError('frame-malformed', String(error)));
      return;
    }
    if (frame.requestId !== connection.thumbnailPendingId || frame.requestId === 0) {
      // An answer to a request we gave up on (or that a lesson end cancelled) is just late;
      // anything else was never asked for.
      if (frame.requestId === 0 || frame.requestId > connection.thumbnailLastIssuedId) {
        connection.reject(new ProtocolError('frame-unexpected', `frame for request ${frame.requestId} that was never sent`));
      }
      return;
    }
    connection.thumbnailPendingId = 0;
    const { events, lessons } = this.options;
    if (!lessons.isRunning(connection.labId) || !events.listening) return;
    events.emit({
      type: 'thumbnail',
      machineId: connection.machineId,
      width: frame.width,
      height: frame.height,
      screen: frame.screen === wholeDesktopScreen ? 'all' : frame.screen,
      capturedAt: frame.capturedAt,
      jpegBase64: Buffer.from(frame.jpeg.buffer, frame.jpeg.byteOffset, frame.jpeg.byteLength).toString('base64'),
    });
  }

  onThumbnailError(connection: ThumbnailConnection, message: Extract<AgentMessage, { type: 'thumbnailError' }>): void {
    if (message.requestId !== connection.thumbnailPendingId) return;
    connection.thumbnailPendingId = 0;
    if (message.error.code === 'not-in-lesson' || message.error.code === 'indicator-not-shown') {
      // The PC does not consider itself in a lesson: stop asking until it acknowledges one.
      connection.watchable = false;
      this.options.log(`thumbnails: ${connection.label} refused a picture: ${message.error.code}: ${message.error.message}`);
      return;
    }
    if (message.error.code !== 'busy') {
      this.options.log(`thumbnails: ${connection.label} could not capture: ${message.error.code}: ${message.error.message}`);
    }
  }

  /** The machine's socket is gone. The focus stays: the same PC usually reconnects in seconds. */
  onDisconnect(connection: ThumbnailConnection): void {
    connection.thumbnailPendingId = 0;
  }
}
