// One agent's websocket: the handshake state machine, inbound validation with the shared codec,
// the strike count for bad messages, and the per-connection state other parts keep (commands in
// flight, the thumbnail request in flight). One object per socket; no closures or timers of its
// own (the hub's sweep enforces the handshake deadline).

import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { randomBytes, toBase64 } from '../../shared/auth/enrolment.js';
import { decodeAgentMessage, encodeMessage } from '../../shared/protocol/codec.js';
import { closeCodes, ProtocolError, type ProtocolErrorCode } from '../../shared/protocol/errors.js';
import { protocolVersion } from '../../shared/protocol/limits.js';
import type { AgentMessage, ConsoleMessage } from '../../shared/protocol/messages.js';

/** Bad messages tolerated from an authenticated agent before it is hung up on. */
export const maxProtocolStrikes = 3;

/** What a connection needs from the hub that owns it. */
export interface ConnectionOwner {
  log(line: string): void;
  enrol(connection: AgentConnection, message: Extract<AgentMessage, { type: 'enrol' }>): Promise<void>;
  authenticate(connection: AgentConnection, message: Extract<AgentMessage, { type: 'auth' }>): Promise<void>;
  handleMessage(connection: AgentConnection, message: AgentMessage): void;
  handleFrame(connection: AgentConnection, data: Buffer): void;
  handleClose(connection: AgentConnection, code: number): void;
}

/** Something waiting for a command acknowledgement from this connection (a command run). */
export interface AckWaiter {
  /** `reason` is a code ('timeout', the agent's error code…); `detail` is the agent's own text. */
  settle(machineId: string, status: 'done' | 'failed', reason?: string, detail?: string): void;
}

export type ConnectionPhase =
  /** Challenge sent; waiting for `enrol` or `auth`. */
  | 'handshake'
  /** Checking a proof or signature; anything the agent sends now is a violation. */
  | 'verifying'
  /** Authenticated (welcome sent); `hello` may or may not have arrived. */
  | 'authenticated'
  /** Hanging up or gone. */
  | 'closing';

export class AgentConnection {
  /** Fresh per connection: a signature over an older nonce (a replay) cannot verify. */
  readonly nonce = toBase64(randomBytes(32));
  readonly remoteAddress: string | null;
  readonly connectedAt = Date.now();
  phase: ConnectionPhase = 'handshake';

  /** Set once authenticated. */
  machineId = '';
  labId: string | null = null;
  /** True once `hello` arrived: the agent's desktop is ready for commands and thumbnails. */
  helloReceived = false;
  /** The agent's last reported state, serialised, to notice changes cheaply. */
  stateJson = '';
  /**
   * The agent said its screen may be watched (a lesson is on there and its indicator is up), in
   * hello or in its last ack. Thumbnails are asked for only then: at a lesson's start the PC first
   * acknowledges the lesson, so no request overtakes it.
   */
  watchable = false;
  /** What the agent said it can do in hello ('web-filter', 'thumbnails'…). */
  capabilities: readonly string[] = [];
  lastSeenAt = Date.now();
  missedPongs = 0;
  strikes = 0;

  /** Commands sent and not yet acknowledged, by command id. */
  readonly pendingCommands = new Map<string, AckWaiter>();
  /** Thumbnail request in flight (0 = none), when it was sent, and the last id issued. */
  thumbnailPendingId = 0;
  thumbnailRequestedAt = 0;
  thumbnailLastIssuedId = 0;

  /** The handshake (up to hello) must be done by then; the hub's sweep enforces it. 0 = done. */
  handshakeDeadline: number;

  private readonly ws: WebSocket;
  private readonly owner: ConnectionOwner;

  constructor(ws: WebSocket, request: IncomingMessage, owner: ConnectionOwner, handshakeTimeoutMs: number) {
    this.ws = ws;
    this.owner = owner;
    this.remoteAddress = normaliseAddress(request.socket.remoteAddress);
    this.handshakeDeadline = this.connectedAt + handshakeTimeoutMs;
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
    ws.on('pong', this.onPong);
    this.send({ type: 'challenge', protocol: protocolVersion, nonce: this.nonce, consoleTime: Date.now() });
  }

  /** For log lines: the machine id once known, else the address. */
  get label(): string {
    return this.machineId ? `${this.machineId} (${this.remoteAddress ?? '?'})` : `${this.remoteAddress ?? '?'}`;
  }

  get open(): boolean {
    return this.phase !== 'closing' && this.ws.readyState === this.ws.OPEN;
  }

  send(message: ConsoleMessage): void {
    this.sendText(encodeMessage(message));
  }

  /** Sends pre-encoded text: a command fanned out to many PCs is serialised once. */
  sendText(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  /**
   * Sends a binary frame (filter-list chunks); `done` runs once ws has handed it to the socket, or
   * with an error when the socket is gone, so a sender can pace itself by the callbacks.
   */
  sendFrame(data: Uint8Array, done: (error?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      done(new Error('socket closed'));
      return;
    }
    this.ws.send(data, { binary: true }, (error) => done(error ?? undefined));
  }

  /** Bytes queued on this socket and not yet written to the network. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /** Marks the handshake done (after auth): the agent becomes a known machine on this socket. */
  authenticated(machineId: string, labId: string | null): void {
    this.phase = 'authenticated';
    this.machineId = machineId;
    this.labId = labId;
  }

  /** The agent said hello: the handshake is complete, stop its clock. */
  helloDone(): void {
    this.helloReceived = true;
    this.handshakeDeadline = 0;
  }

  /** Called by the hub's sweep: hangs up when the handshake overran its deadline. */
  checkHandshake(now: number): void {
    if (this.handshakeDeadline !== 0 && now >= this.handshakeDeadline && this.phase !== 'closing') {
      this.handshakeDeadline = 0;
      this.fail('handshake-timeout', 'handshake not finished in time', closeCodes.handshakeTimeout);
    }
  }

  /** Answers with an error, logs it, and hangs up with `closeCode`. */
  fail(code: ProtocolErrorCode, message: string, closeCode: number): void {
    if (this.phase === 'closing') return;
    this.owner.log(`agent-hub: ${this.label}: ${code}: ${message}; closing (${closeCode})`);
    this.send({ type: 'error', error: { code, message } });
    this.close(closeCode, code);
  }

  /**
   * A bad message: during the handshake the agent is hung up on at once; after it, the agent gets
   * an error answer and is hung up on only after repeated abuse (a buggy agent should be
   * noticed in the log, not cut off mid-lesson for one odd message).
   */
  reject(error: ProtocolError): void {
    if (this.phase !== 'authenticated') {
      this.fail(error.code, error.message, closeCodes.protocolError);
      return;
    }
    this.strikes++;
    if (this.strikes >= maxProtocolStrikes) {
      this.fail(error.code, `${error.message} (${this.strikes} bad messages)`, closeCodes.protocolError);
      return;
    }
    this.owner.log(`agent-hub: ${this.label}: ${error.code}: ${error.message} (strike ${this.strikes}/${maxProtocolStrikes})`);
    this.send({ type: 'error', error: { code: error.code, message: error.message } });
  }

  close(code: number, reason: string): void {
    this.phase = 'closing';
    this.handshakeDeadline = 0;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 100));
  }

  /** Drops the socket without a closing handshake (dead peer). */
  terminate(): void {
    this.phase = 'closing';
    this.handshakeDeadline = 0;
    this.ws.terminate();
  }

  private readonly onPong = (): void => {
    this.missedPongs = 0;
    this.lastSeenAt = Date.now();
  };

  private readonly onError = (error: Error): void => {
    // ws reports oversized or broken frames here and closes the socket itself (1009 / 1002).
    this.owner.log(`agent-hub: ${this.label}: socket error: ${error.message}`);
  };

  private readonly onClose = (code: number): void => {
    this.phase = 'closing';
    this.handshakeDeadline = 0;
    this.owner.handleClose(this, code);
  };

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.phase === 'closing') return;
    this.missedPongs = 0;
    const bytes = data as Buffer; // binaryType 'nodebuffer': always one Buffer
    if (isBinary) {
      if (this.phase === 'authenticated') this.owner.handleFrame(this, bytes);
      else this.fail('message-invalid', 'binary frame before authentication', closeCodes.protocolError);
      return;
    }
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(bytes.toString('utf8'));
    } catch (error) {
      this.reject(error instanceof ProtocolError ? error : new ProtocolError('message-malformed', String(error)));
      return;
    }
    if (this.phase === 'authenticated') {
      this.owner.handleMessage(this, message);
      return;
    }
    if (this.phase === 'verifying') {
      this.fail('message-invalid', `${message.type} while the handshake is being checked`, closeCodes.protocolError);
      return;
    }
    if (message.type === 'enrol') {
      this.phase = 'verifying';
      this.owner.enrol(this, message).catch((error: unknown) => this.internalError(error));
    } else if (message.type === 'auth') {
      this.phase = 'verifying';
      this.owner.authenticate(this, message).catch((error: unknown) => this.internalError(error));
    } else {
      this.fail('message-invalid', `${message.type} before authentication`, closeCodes.protocolError);
    }
  };

  private internalError(error: unknown): void {
    this.owner.log(`agent-hub: ${this.label}: handshake failed inside the console: ${(error as Error)?.stack ?? String(error)}`);
    this.close(1011, 'internal error');
  }
}

/** "::ffff:10.0.0.5" -> "10.0.0.5", so limits and the UI see one form per address. */
export function normaliseAddress(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
