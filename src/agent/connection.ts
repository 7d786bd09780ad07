// The agent's one connection to its console: dial, check the pinned certificate, authenticate
// (challenge -> auth -> welcome), hand validated messages to the core, and reconnect with capped
// backoff whenever the console goes away. Stops for good only when the console says this PC is
// no longer enrolled.

import type WebSocket from 'ws';
import { authTranscript, signAuth } from '../shared/auth/enrolment.js';
import { decodeConsoleMessage, encodeMessage } from '../shared/protocol/codec.js';
import { closeCodes, ProtocolError } from '../shared/protocol/errors.js';
import { handshakeTimeoutMs, heartbeatIntervalMs, protocolVersion } from '../shared/protocol/limits.js';
import type { AgentMessage, ConsoleMessage } from '../shared/protocol/messages.js';
import { Backoff } from './backoff.js';
import type { AgentConfig } from './config.js';
import { ConsoleSocketError, openConsoleSocket } from './console-socket.js';
import type { AgentLog } from './log.js';

/**
 * The console pings every heartbeatIntervalMs; when nothing at all arrives for two intervals plus
 * a handshake's worth of slack, the console (or the cable) is gone and the socket is dropped.
 * This is the only timer that runs while the agent is idle, and it never fires on a healthy link.
 */
export const consoleSilenceLimitMs = 2 * heartbeatIntervalMs + handshakeTimeoutMs;

/**
 * After the console replaced this connection with a newer one of the same machine (usually a
 * restarted agent whose old socket lingered), wait at least this long: if two processes share
 * one identity by mistake, they must not evict each other in a tight loop.
 */
export const replacedRetryDelayMs = 5_000;

export type WelcomeMessage = Extract<ConsoleMessage, { type: 'welcome' }>;
export type PostHandshakeMessage = Exclude<ConsoleMessage, { type: 'challenge' | 'enrolled' | 'welcome' }>;

/** What the core may do with an authenticated connection. */
export interface ConsoleLink {
  send(message: AgentMessage): void;
  sendFrame(frame: Uint8Array): void;
  /** Bytes handed to the socket but not yet written (a slow link shows here first). */
  bufferedBytes(): number;
  readonly isOpen: boolean;
}

export interface ConnectionHandlers {
  /** The console accepted this agent; send hello now. */
  onAuthenticated(link: ConsoleLink, welcome: WelcomeMessage): void;
  /** A validated command, thumbnail request or other post-handshake message. */
  onMessage(link: ConsoleLink, message: PostHandshakeMessage): void;
  /** A binary frame after the handshake (filter-list chunks); throw ProtocolError to refuse it. */
  onFrame?(link: ConsoleLink, frame: Uint8Array): void;
  onDisconnected(link: ConsoleLink): void;
}

export type StopReason =
  | { kind: 'stopped' }
  /** authFailed or revoked: the console does not (or no longer) know this PC. */
  | { kind: 'removed'; closeCode: number; reason: string };

export interface ConnectionOptions {
  config: AgentConfig;
  /** PKCS#8 base64 Ed25519 private key. */
  privateKey: string;
  handlers: ConnectionHandlers;
  log: AgentLog;
  backoff?: Backoff;
  /** How long a silent console is tolerated (default consoleSilenceLimitMs; tests shorten it). */
  silenceLimitMs?: number;
}

class Link implements ConsoleLink {
  constructor(private readonly ws: WebSocket) {}
  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }
  send(message: AgentMessage): void {
    if (this.isOpen) this.ws.send(encodeMessage(message));
  }
  sendFrame(frame: Uint8Array): void {
    if (this.isOpen) this.ws.send(frame, { binary: true });
  }
  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }
}

export class ConsoleConnection {
  private readonly backoff: Backoff;
  private stopping = false;
  private current: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private resolveStopped!: (reason: StopReason) => void;
  /** Resolves once the connection stops for good (stop() or removed from the console). */
  readonly stopped: Promise<StopReason>;

  constructor(private readonly options: ConnectionOptions) {
    this.backoff = options.backoff ?? new Backoff();
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  start(): void {
    void this.connect();
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.current;
    if (ws && ws.readyState === ws.OPEN) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000);
        ws.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        ws.close(1000, 'agent stopping');
      });
    } else {
      ws?.terminate();
    }
    this.resolveStopped({ kind: 'stopped' });
  }

  private scheduleRetry(minimumDelayMs = 0): void {
    if (this.stopping) return;
    const delay = Math.max(minimumDelayMs, this.backoff.next());
    this.options.log('reconnecting', { inMs: delay, attempt: this.backoff.attempts });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    const { config, log } = this.options;
    let opened;
    try {
      opened = await openConsoleSocket(config.consoleUrl, {
        expectedFingerprint: config.consoleFingerprint,
        timeoutMs: handshakeTimeoutMs,
      });
    } catch (error) {
      if (error instanceof ConsoleSocketError && error.code === 'certificate-mismatch') {
        // Someone answers at the console's address with another certificate: an impostor or a
        // reinstalled console. Never authenticate to it; keep trying the real one.
        log('certificate-mismatch', { url: config.consoleUrl, actual: error.actualFingerprint ?? '', pinned: config.consoleFingerprint });
      } else {
        log('connect-failed', { url: config.consoleUrl, reason: (error as Error).message });
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopping) {
      opened.ws.terminate();
      return;
    }
    this.session(opened.ws, opened.fingerprint);
  }

  /** Runs one connection from the verified socket to its close. */
  private session(ws: WebSocket, fingerprint: string): void {
    const { config, log, handlers } = this.options;
    this.current = ws;
    const link = new Link(ws);
    let phase: 'challenge' | 'auth-sent' | 'ready' = 'challenge';
    let closeHandled = false;

    // Two timers per connection, never both armed: the handshake deadline, then the silence
    // watchdog, re-armed with refresh() (which allocates nothing) on every ping and message.
    const handshakeDeadline = setTimeout(() => {
      log('handshake-timeout', { url: config.consoleUrl, phase });
      ws.terminate();
    }, handshakeTimeoutMs);
    let silence: NodeJS.Timeout | null = null;
    const touch = (): void => {
      if (silence) silence.refresh();
    };
    const silenceLimitMs = this.options.silenceLimitMs ?? consoleSilenceLimitMs;
    const watchForSilence = (): void => {
      clearTimeout(handshakeDeadline);
      silence = setTimeout(() => {
        log('console-silent', { url: config.consoleUrl, silentForMs: silenceLimitMs });
        ws.terminate();
      }, silenceLimitMs);
    };

    const sendError = (code: string, message: string): void => link.send({ type: 'error', error: { code, message } });

    // After the handshake: synchronous, so the steady state allocates no promise per message.
    const handleReady = (message: ConsoleMessage): void => {
      if (message.type === 'challenge' || message.type === 'welcome' || message.type === 'enrolled') {
        sendError('message-invalid', `unexpected ${message.type} after the handshake`);
        log('invalid-message', { code: 'message-invalid', detail: `unexpected ${message.type}` });
        return;
      }
      try {
        handlers.onMessage(link, message);
      } catch (error) {
        log('handler-failed', { type: message.type, reason: String(error) });
      }
    };

    const handleHandshake = async (message: ConsoleMessage): Promise<void> => {
      if (message.type === 'error') {
        log('console-error', { code: message.error.code, message: message.error.message });
        return;
      }
      if (phase === 'challenge' && message.type === 'challenge') {
        phase = 'auth-sent';
        const signature = await signAuth(this.options.privateKey, authTranscript(message.nonce, fingerprint, config.machineId));
        link.send({ type: 'auth', protocol: protocolVersion, machineId: config.machineId, signature });
        return;
      }
      if (phase === 'auth-sent' && message.type === 'welcome') {
        if (message.machineId !== config.machineId) {
          log('auth-failed', { reason: `console welcomed ${message.machineId}, this PC is ${config.machineId}` });
          ws.close(closeCodes.protocolError, 'machine id mismatch');
          return;
        }
        phase = 'ready';
        this.backoff.reset();
        watchForSilence();
        log('connected', { url: config.consoleUrl, machineId: config.machineId });
        handlers.onAuthenticated(link, message);
        return;
      }
      sendError('message-invalid', `unexpected ${message.type} during the handshake`);
      log('invalid-message', { code: 'message-invalid', detail: `unexpected ${message.type} during the handshake` });
    };

    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      touch();
      if (isBinary) {
        // The only binary frames a console sends are filter-list chunks, and only after auth.
        if (phase !== 'ready' || !handlers.onFrame) {
          sendError('frame-unexpected', 'binary frame before the handshake finished');
          log('invalid-message', { code: 'frame-unexpected' });
          return;
        }
        try {
          handlers.onFrame(link, data as Buffer);
        } catch (error) {
          const code = error instanceof ProtocolError ? error.code : 'frame-malformed';
          const text = error instanceof Error ? error.message : String(error);
          sendError(code, text);
          log('invalid-message', { code, detail: text.slice(0, 160) });
        }
        return;
      }
      let message: ConsoleMessage;
      try {
        message = decodeConsoleMessage(data.toString());
      } catch (error) {
        const code = error instanceof ProtocolError ? error.code : 'message-invalid';
        const text = error instanceof Error ? error.message : String(error);
        sendError(code, text);
        log('invalid-message', { code, detail: text.slice(0, 160) });
        return;
      }
      if (phase === 'ready') {
        handleReady(message);
        return;
      }
      handleHandshake(message).catch((error: unknown) => {
        log('handler-failed', { type: message.type, reason: String(error) });
      });
    });
    ws.on('ping', touch);
    ws.on('error', (error: Error) => log('socket-error', { reason: error.message }));
    ws.on('close', (code: number, reasonBuffer: Buffer) => {
      if (closeHandled) return;
      closeHandled = true;
      clearTimeout(handshakeDeadline);
      if (silence) clearTimeout(silence);
      this.current = null;
      const reason = reasonBuffer.toString().slice(0, 120);
      const wasReady = phase === 'ready';
      log('disconnected', { code, reason: reason || undefined });
      if (wasReady) handlers.onDisconnected(link);
      if (this.stopping) return;
      if (code === closeCodes.authFailed || code === closeCodes.revoked) {
        this.stopping = true;
        this.resolveStopped({ kind: 'removed', closeCode: code, reason });
        return;
      }
      this.scheduleRetry(code === closeCodes.replaced ? replacedRetryDelayMs : 0);
    });
    ws.resume();
  }
}
