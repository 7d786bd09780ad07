// The agent core: what a student PC does for its console, independent of the OS. It restores and
// keeps enforcing the last state (lock, lesson indicator) whether or not the console is there,
// runs commands once per id, answers thumbnail requests with at most one capture in flight, and
// reports identity, session and inventory.
//
// Screens are shared only inside a lesson, with the monitoring indicator showing: the agent
// itself refuses a thumbnail request otherwise (the console should never ask, but the promise to
// students must not rest on the console alone). The lesson reaches the agent in `welcome` on every
// (re)connection and in `setLesson` commands; the indicator follows it, one change at a time.

import { encodeThumbnailFrame, wholeDesktopScreen } from '../shared/protocol/frame.js';
import { maxFrameBytes } from '../shared/protocol/limits.js';
import { lockNotShownCode, ProtocolError } from '../shared/protocol/errors.js';
import {
  inventorySchema,
  type AgentIdentity,
  type AgentMessage,
  type AgentState,
  type Command,
  type ConsoleMessage,
  type ErrorBody,
  type Inventory,
  type LessonState,
} from '../shared/protocol/messages.js';
import { CommandRing } from './command-ring.js';
import { toAgentState, type PersistedState } from './config.js';
import type { ConsoleLink, ConnectionHandlers, PostHandshakeMessage, WelcomeMessage } from './connection.js';
import type { InventorySource } from './inventory.js';
import type { AgentLog } from './log.js';
import type { SessionDesktop } from './platform/session-desktop.js';
import { WebFiltering, WebFilteringError } from './web-filtering.js';

export const agentCapabilities: readonly string[] = ['screen-lock', 'message', 'thumbnails', 'inventory', 'monitoring-indicator', 'web-filter'];

/** Commands waiting behind the running one; more than this and new ones are refused as busy. */
export const maxQueuedCommands = 32;

/**
 * When the socket still holds this many unsent bytes, the previous frame has not left yet: a new
 * capture would only queue behind it and arrive stale, so the request is answered busy.
 */
export const maxUnsentBytesBeforeCapture = maxFrameBytes;

type Ack = Extract<AgentMessage, { type: 'ack' }>;
type ThumbnailRequest = Extract<ConsoleMessage, { type: 'thumbnail' }>;
type CommandMessage = Extract<ConsoleMessage, { type: 'command' }>;

export interface AgentOptions {
  desktop: SessionDesktop;
  identity: AgentIdentity;
  /** The state read from state.json at start. */
  state: PersistedState;
  /**
   * Persists the state (atomically); called after every change, with the state as it is at that
   * moment. May return a promise (a write off the event loop) that settles once it is durable.
   */
  saveState: (state: PersistedState) => void | Promise<void>;
  inventory: InventorySource;
  log: AgentLog;
  /** The web-filtering feature (absent: this agent runs no DNS filter). */
  webFiltering?: WebFiltering;
}

/** A capture was asked for when the screen may not be shared (see refuseThumbnail). */
class ThumbnailRefused extends Error {}

class CommandFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The monitoring indicator as the student sees it: `showing` while the desktop is putting it up
 * (a capture waits for it), `shown` once it is up, `failed` when it could not be shown.
 */
type IndicatorState = 'hidden' | 'showing' | 'shown' | 'failed';

function sameLesson(a: LessonState | null, b: LessonState): boolean {
  return a !== null && a.active === b.active && a.lessonId === b.lessonId && a.className === b.className && a.language === b.language;
}

export class Agent implements ConnectionHandlers {
  private state: PersistedState;
  private link: ConsoleLink | null = null;
  private readonly acks = new CommandRing<Ack>();
  private commandTail: Promise<void> = Promise.resolve();
  private queuedCommands = 0;
  private capturing = false;
  private indicator: IndicatorState = 'hidden';
  /** The indicator change in progress (or the last one); changes run one after another. */
  private indicatorTail: Promise<void> = Promise.resolve();
  private indicatorChanges = 0;
  private inventory: Inventory | null = null;
  private gathering = false;
  private gatherAgain = false;
  private readonly unsubscribeSession: () => void;
  private readonly unsubscribeLockIssue: () => void;
  private readonly unsubscribeDesktopProblem: () => void;
  private closed = false;

  constructor(private readonly options: AgentOptions) {
    this.state = { ...options.state };
    this.unsubscribeSession = options.desktop.onSessionChange((session) => {
      this.options.log('session-changed', { user: session.user ?? '(none)', screens: session.screens.length });
      this.link?.send({ type: 'session', session });
    });
    // A lock that cannot hold (input not captured, a student fighting it) is news for the teacher's tile.
    this.unsubscribeLockIssue =
      options.desktop.onLockIssue?.((issue) => {
        if (issue) this.options.log('lock-issue', { issue });
        this.link?.send({ type: 'state', state: this.agentState });
      }) ?? (() => undefined);
    // A desktop that could not be opened yet (pending-desktop.ts): the tile says so while it lasts;
    // once it opens, the saved lock and the lesson badge go up, after any command already running.
    this.unsubscribeDesktopProblem =
      options.desktop.onProblem?.((problem) => {
        if (problem) {
          this.link?.send({ type: 'state', state: this.agentState });
          return;
        }
        this.commandTail = this.commandTail
          .then(() => this.restore())
          .catch((error: unknown) => this.options.log('restore-failed', { reason: String((error as Error)?.message ?? error) }))
          .then(() => {
            if (!this.closed) this.link?.send({ type: 'state', state: this.agentState });
          });
      }) ?? (() => undefined);
  }

  /**
   * The state as the wire reports it. `lessonActive` means "this screen may be watched now": a
   * lesson is on and its indicator is up (or going up); a PC whose indicator failed says no.
   */
  get agentState(): AgentState {
    const state = toAgentState(this.state);
    state.lessonActive = this.watchable;
    const filter = this.options.webFiltering?.state();
    if (filter) state.filter = filter;
    const lockIssue = state.locked ? this.options.desktop.lockIssue?.() : null;
    if (lockIssue) state.lockIssue = lockIssue;
    const desktopProblem = this.options.desktop.problem?.();
    if (desktopProblem) state.desktopProblem = desktopProblem;
    return state;
  }

  /** A lesson runs for this PC and its indicator is up or on its way up. */
  private get watchable(): boolean {
    return this.state.lesson?.active === true && (this.indicator === 'showing' || this.indicator === 'shown');
  }

  /** Re-applies the persisted state before connecting: a lock survives agent and console restarts. */
  async restore(): Promise<void> {
    const { desktop, log } = this.options;
    if (this.closed) return;
    // No screen to put them on yet: they go up when the desktop opens (see the constructor).
    if (desktop.problem?.()) return;
    if (this.state.locked) {
      await desktop.lock(this.state.lockMessage ?? '');
      log('locked', { restored: true });
    }
    if (this.state.lesson?.active) {
      await this.setIndicator(this.state.lesson);
      log('lesson-indicator', { visible: true, restored: true });
    }
  }

  /** Gathers the inventory in the background (at start and on refreshInventory); never blocks a message. */
  refreshInventory(): void {
    if (this.closed) return;
    if (this.gathering) {
      this.gatherAgain = true;
      return;
    }
    this.gathering = true;
    this.options
      .inventory()
      .then(
        (inventory) => {
          const checked = inventorySchema.safeParse(inventory);
          if (!checked.success) {
            this.options.log('inventory-failed', { reason: checked.error.issues[0]?.message ?? 'invalid' });
            return;
          }
          this.inventory = checked.data;
          this.options.log('inventory-gathered', { adapters: checked.data.networkAdapters.length });
          this.link?.send({ type: 'inventory', inventory: checked.data });
        },
        (error: unknown) => this.options.log('inventory-failed', { reason: String(error) }),
      )
      .finally(() => {
        this.gathering = false;
        if (this.gatherAgain) {
          this.gatherAgain = false;
          this.refreshInventory();
        }
      });
  }

  // ---- ConnectionHandlers ----------------------------------------------------------------

  onAuthenticated(link: ConsoleLink, welcome: WelcomeMessage): void {
    this.link = link;
    this.options.webFiltering?.attach((message) => link.send(message));
    // The console decides whether a lesson (and so the indicator) is on; the lock is the agent's
    // own state and stays until the console unlocks it. The indicator change starts first (so
    // hello can say the screen is about to be watchable), hello goes out at once, and a picture
    // asked for before the badge is up waits for it (see onThumbnail).
    const lessonChanged = !sameLesson(this.state.lesson, welcome.lesson);
    if (lessonChanged) {
      this.state.lesson = { ...welcome.lesson };
      void this.save();
    }
    if (lessonChanged || (welcome.lesson.active && !this.watchable)) {
      this.setIndicator(welcome.lesson).then(
        () => this.options.log('lesson-indicator', { visible: welcome.lesson.active, lessonId: welcome.lesson.lessonId }),
        (error: unknown) => this.options.log('lesson-indicator-failed', { reason: String(error) }),
      );
    }
    link.send({
      type: 'hello',
      identity: this.options.identity,
      session: this.options.desktop.sessionInfo(),
      state: this.agentState,
      capabilities: [...agentCapabilities],
    });
    if (this.inventory) link.send({ type: 'inventory', inventory: this.inventory });
  }

  onDisconnected(link: ConsoleLink): void {
    if (this.link === link) {
      this.link = null;
      this.options.webFiltering?.attach(null);
    }
  }

  onFrame(_link: ConsoleLink, frame: Uint8Array): void {
    const filtering = this.options.webFiltering;
    if (!filtering) throw new ProtocolError('frame-unexpected', 'this PC runs no web filter');
    filtering.onChunk(frame);
  }

  onMessage(link: ConsoleLink, message: PostHandshakeMessage): void {
    switch (message.type) {
      case 'command':
        this.onCommand(link, message);
        return;
      case 'thumbnail':
        this.onThumbnail(link, message);
        return;
      case 'error':
        this.options.log('console-error', { code: message.error.code, message: message.error.message });
        return;
    }
  }

  // ---- commands --------------------------------------------------------------------------

  private onCommand(link: ConsoleLink, message: CommandMessage): void {
    const remembered = this.acks.get(message.id);
    if (remembered) {
      link.send(remembered);
      return;
    }
    if (this.queuedCommands >= maxQueuedCommands) {
      // Not remembered: the console may retry the same id once the queue drains.
      link.send(this.ack(message.id, { code: 'busy', message: `more than ${maxQueuedCommands} commands are waiting` }));
      return;
    }
    // One command at a time, in arrival order: "lock" then "unlock" must not overtake each other.
    this.queuedCommands++;
    this.commandTail = this.commandTail.then(async () => {
      this.queuedCommands--;
      // A repeat that arrived while the original was queued is answered from the ring.
      const again = this.acks.get(message.id);
      if (again) {
        link.send(again);
        return;
      }
      let ack: Ack;
      try {
        await this.execute(message.command);
        ack = this.ack(message.id);
      } catch (error) {
        const failure = error instanceof CommandFailure ? error : new CommandFailure('command-failed', String((error as Error)?.message ?? error));
        this.options.log('command-failed', { id: message.id, command: message.command.name, reason: failure.message });
        ack = this.ack(message.id, { code: failure.code, message: failure.message.slice(0, 1024) });
      }
      this.acks.remember(message.id, ack);
      link.send(ack);
    });
  }

  private ack(id: string, error?: ErrorBody): Ack {
    return error ? { type: 'ack', id, ok: false, error, state: this.agentState } : { type: 'ack', id, ok: true, state: this.agentState };
  }

  private async execute(command: Command): Promise<void> {
    const { desktop, log } = this.options;
    switch (command.name) {
      case 'lock':
        try {
          await desktop.lock(command.message);
        } catch (error) {
          // The PC stays unlocked, as the teacher is told: the desktop must not put this lock up
          // on its own later (when the X server comes back) behind the console's back.
          if (!this.state.locked) await desktop.unlock().catch(() => undefined);
          // Whatever the platform, a lock that did not come up (the X server gone, a session that
          // does not answer) is one failure the teacher can read (ui.result.reason.lockNotShown);
          // the desktop's own words travel as the detail for IT staff.
          throw new CommandFailure(lockNotShownCode, String((error as Error)?.message ?? error));
        }
        this.state.locked = true;
        this.state.lockMessage = command.message;
        // Acknowledged as soon as the lock is on screen: the teacher waits on this ack across the
        // whole lab. The state follows off the event loop, in order, within one write (a few ms;
        // an old PC's hard disk, tens); an agent killed inside that window comes back unlocked
        // and says so in its hello, so the tile never shows a lock that is not there.
        void this.save();
        // Acked as done either way; an issue (input not captured) travels in the ack's state to the tile.
        log('locked', { restored: false, issue: this.options.desktop.lockIssue?.() ?? 'none' });
        return;
      case 'unlock':
        await desktop.unlock();
        this.state.locked = false;
        delete this.state.lockMessage;
        void this.save();
        log('unlocked');
        return;
      case 'showMessage':
        await desktop.showMessage(command.text, command.title);
        log('message-shown', { chars: command.text.length });
        return;
      case 'setLesson':
        await this.applyLesson(command.lesson);
        return;
      case 'refreshInventory':
        this.refreshInventory();
        return;
      case 'setFilter': {
        const filtering = this.options.webFiltering;
        if (!filtering) throw new CommandFailure('filter-unavailable', 'this PC runs no web filter');
        try {
          await filtering.apply(command);
        } catch (error) {
          if (error instanceof WebFilteringError) throw new CommandFailure(error.code, error.message);
          throw error;
        }
        const persisted = filtering.persisted();
        if (persisted) this.state.filter = persisted;
        await this.save();
        return;
      }
      default: {
        const unknown: never = command;
        throw new CommandFailure('command-unsupported', `unsupported command ${JSON.stringify((unknown as { name?: unknown }).name)}`);
      }
    }
  }

  private indicatorFor(lesson: LessonState): { visible: boolean; language: 'vi' | 'en'; className?: string } {
    const indicator: { visible: boolean; language: 'vi' | 'en'; className?: string } = { visible: lesson.active, language: lesson.language };
    if (lesson.className !== undefined) indicator.className = lesson.className;
    return indicator;
  }

  /**
   * Shows or hides the indicator after any change still in progress. Hiding stops screen sharing
   * at once (before the desktop has taken the badge down); showing allows it only once the desktop
   * says the badge is up. On failure screens stay private until a later change succeeds.
   */
  private setIndicator(lesson: LessonState): Promise<void> {
    const change = ++this.indicatorChanges;
    this.indicator = lesson.active ? 'showing' : 'hidden';
    const run = this.indicatorTail.then(async () => {
      try {
        await this.options.desktop.setMonitoringIndicator(this.indicatorFor(lesson));
        if (change === this.indicatorChanges) this.indicator = lesson.active ? 'shown' : 'hidden';
      } catch (error) {
        if (change === this.indicatorChanges) this.indicator = lesson.active ? 'failed' : 'hidden';
        throw error;
      }
    });
    this.indicatorTail = run.catch(() => undefined);
    return run;
  }

  private async applyLesson(lesson: LessonState): Promise<void> {
    await this.setIndicator(lesson);
    this.state.lesson = { ...lesson };
    await this.save();
    this.options.log('lesson-indicator', { visible: lesson.active, lessonId: lesson.lessonId });
  }

  /** Saves the state; resolves once it is durable (never rejects: a failure is logged). Nothing once closed. */
  private save(evenClosed = false): Promise<void> {
    if (this.closed && !evenClosed) return Promise.resolve();
    this.state.savedAt = Date.now();
    // The command took effect; only its survival across a restart is at risk. Say so loudly.
    const failed = (error: unknown): void => this.options.log('state-save-failed', { reason: (error as Error)?.message ?? String(error) });
    try {
      return Promise.resolve(this.options.saveState(this.state)).catch(failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }

  // ---- thumbnails ------------------------------------------------------------------------

  private onThumbnail(link: ConsoleLink, request: ThumbnailRequest): void {
    if (!this.watchable) {
      this.refuseThumbnail(link, request);
      return;
    }
    // At most one capture in flight and never a frame queued behind an unsent one: the console
    // asks again on its next tick and gets a fresh picture instead of a stale one.
    if (this.capturing || link.bufferedBytes() > maxUnsentBytesBeforeCapture) {
      link.send({
        type: 'thumbnailError',
        requestId: request.requestId,
        error: { code: 'busy', message: this.capturing ? 'a capture is already in flight' : 'the previous frame is still being sent' },
      });
      return;
    }
    this.capturing = true;
    // Right after a (re)connection the indicator may still be going up: the capture waits for it.
    this.indicatorTail
      .then(() => {
        if (!this.watchable || this.indicator !== 'shown') throw new ThumbnailRefused();
        return this.options.desktop.capture({ width: request.width, quality: request.quality, screen: request.screen });
      })
      .then(
        (image) => {
          // The console that asked has gone: drop the picture rather than send it stale later.
          if (!link.isOpen || this.link !== link) return;
          let frame: Uint8Array;
          try {
            frame = encodeThumbnailFrame(
              {
                requestId: request.requestId,
                width: image.width,
                height: image.height,
                screen: request.screen === 'all' ? wholeDesktopScreen : request.screen,
                capturedAt: image.capturedAt,
              },
              image.jpeg,
            );
          } catch (error) {
            link.send({ type: 'thumbnailError', requestId: request.requestId, error: { code: 'frame-too-large', message: (error as Error).message } });
            return;
          }
          link.sendFrame(frame);
        },
        (error: unknown) => {
          if (error instanceof ThumbnailRefused) {
            this.refuseThumbnail(link, request);
            return;
          }
          link.send({
            type: 'thumbnailError',
            requestId: request.requestId,
            error: { code: 'capture-failed', message: String((error as Error)?.message ?? error).slice(0, 1024) },
          });
        },
      )
      .finally(() => {
        this.capturing = false;
      });
  }

  /** Says no to a picture outside a lesson (or without the indicator), and notes it locally. */
  private refuseThumbnail(link: ConsoleLink, request: ThumbnailRequest): void {
    const indicatorFailed = this.state.lesson?.active === true && this.indicator === 'failed';
    const error: ErrorBody = indicatorFailed
      ? { code: 'indicator-not-shown', message: 'the monitoring indicator could not be shown on this PC, so its screen is not shared' }
      : { code: 'not-in-lesson', message: 'no lesson is running on this PC: its screen is shared only during a lesson' };
    this.options.log('thumbnail-refused', { requestId: request.requestId, reason: error.code });
    link.send({ type: 'thumbnailError', requestId: request.requestId, error });
  }

  /**
   * The console removed this PC: the console that owned a lock no longer knows it, so nobody could
   * ever unlock it. Stops like close() and saves the state without the lock; a command still
   * running saves nothing after this (save() is a no-op once closed), so it cannot put it back.
   */
  async removed(): Promise<void> {
    this.close();
    if (!this.state.locked) return;
    this.state.locked = false;
    delete this.state.lockMessage;
    await this.save(true);
  }

  /** Stops reporting and saving; the desktop is closed by whoever opened it. */
  close(): void {
    this.closed = true;
    this.options.webFiltering?.close();
    this.unsubscribeSession();
    this.unsubscribeLockIssue();
    this.unsubscribeDesktopProblem();
    this.link = null;
  }
}
