// The agent hub: one TLS port with a websocket endpoint at /agent. Accepts agents, runs their
// handshake (enrol, or challenge -> auth -> welcome -> hello), keeps the registry of online
// machines (a newer connection replaces an older one), heartbeats every socket from one timer,
// persists what agents report, and hands acks, frames and disconnects to commands and thumbnails.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Machine } from '../../shared/api/contract.js';
import { authTranscript, verifyAuth } from '../../shared/auth/enrolment.js';
import { closeCodes, ProtocolError } from '../../shared/protocol/errors.js';
import { handshakeTimeoutMs, heartbeatIntervalMs, maxWebSocketPayloadBytes } from '../../shared/protocol/limits.js';
import type { AgentMessage, AgentState, Inventory, LessonState } from '../../shared/protocol/messages.js';
import type { EventBus } from '../api/events.js';
import type { ConsoleCertificate } from '../certificate.js';
import type { MachineRecord, Store } from '../store/index.js';
import { AgentConnection, type ConnectionOwner } from './connection.js';
import { EnrolmentDesk } from './enrolment.js';

/** Path of the agent websocket endpoint. */
export const agentPath = '/agent';
/** Sockets still in their handshake at once; more are refused (a slow-loris guard). */
export const maxPendingHandshakes = 256;
/** Authenticated agents at once. A school lab has tens; this bounds a misconfigured fleet. */
export const maxAgentConnections = 2000;
/** Missed pongs after which a socket is considered dead. */
export const maxMissedPongs = 2;
/** Longest gap between two checks of handshake deadlines. */
export const handshakeSweepMs = 1000;
/** How long close() waits for agents to finish their closing handshake before cutting them off. */
export const closeGraceMs = 1500;

/** What the rest of the console plugs into the hub. */
export interface AgentHubHooks {
  /** The lesson state a machine of this lab should show (sent in `welcome`). */
  lessonState(labId: string | null): LessonState;
  /** The agent said hello (with the state it reported): it is ready for commands. */
  ready(connection: AgentConnection, state: AgentState): void;
  ack(connection: AgentConnection, message: Extract<AgentMessage, { type: 'ack' }>): void;
  frame(connection: AgentConnection, data: Buffer): void;
  thumbnailError(connection: AgentConnection, message: Extract<AgentMessage, { type: 'thumbnailError' }>): void;
  /** An authenticated connection ended (commands fail, thumbnails forget it). */
  disconnected(connection: AgentConnection): void;
  /** Blocked web attempts the agent reported. */
  blocked?(connection: AgentConnection, message: Extract<AgentMessage, { type: 'blocked' }>): void;
  /** The agent's web filter changed on its own (resolver changed behind it, a problem began or ended). */
  filterStatus?(connection: AgentConnection, message: Extract<AgentMessage, { type: 'filterStatus' }>): void;
}

export interface AgentHubOptions {
  store: Store;
  events: EventBus;
  certificate: ConsoleCertificate;
  log(line: string): void;
  defaultLabId(): string | null;
  heartbeatIntervalMs?: number;
  handshakeTimeoutMs?: number;
}

export class AgentHub implements ConnectionOwner {
  private readonly options: AgentHubOptions;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly desk: EnrolmentDesk;
  /** Every socket, handshaking or authenticated. */
  private readonly connections = new Set<AgentConnection>();
  /** Authenticated connections by machine id: the registry of online machines. */
  private readonly online = new Map<string, AgentConnection>();
  private readonly inventoryWaiters = new Map<string, Set<(inventory: Inventory) => void>>();
  private heartbeat: NodeJS.Timeout | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private hooks: AgentHubHooks | null = null;
  private closing = false;
  readonly fingerprint: string;
  readonly log: (line: string) => void;

  constructor(options: AgentHubOptions) {
    this.options = options;
    this.fingerprint = options.certificate.fingerprint;
    this.log = options.log;
    this.server = createServer({ key: options.certificate.keyPem, cert: options.certificate.certPem, minVersion: 'TLSv1.2' });
    this.server.on('request', (_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('SafeLab agent endpoint: websocket only\n');
    });
    this.server.on('tlsClientError', () => {
      // Port scanners and agents that refuse our certificate end up here; nothing to act on.
    });
    this.wss = new WebSocketServer({
      server: this.server,
      path: agentPath,
      perMessageDeflate: false,
      maxPayload: maxWebSocketPayloadBytes,
      clientTracking: false,
    });
    this.wss.on('connection', this.onConnection);
    // ws re-emits the HTTPS server's errors (EADDRINUSE…) here; listen() reports them already,
    // and an 'error' event nobody listens to would crash the console.
    this.wss.on('error', () => undefined);
    this.desk = new EnrolmentDesk({
      store: options.store,
      fingerprint: this.fingerprint,
      log: options.log,
      defaultLabId: options.defaultLabId,
      enrolled: (machineId, labId) => {
        const record = options.store.machines.findMachine(machineId);
        if (record) options.events.emit({ type: 'machine.updated', machine: this.machineView(record) });
        const lab = labId ? options.store.labs.findLab(labId) : null;
        if (lab) options.events.emit({ type: 'lab.updated', lab });
      },
    });
  }

  attach(hooks: AgentHubHooks): void {
    this.hooks = hooks;
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) => this.log(`agent-hub: server error: ${error.message}`));
        const interval = this.options.heartbeatIntervalMs ?? heartbeatIntervalMs;
        this.heartbeat = setInterval(this.onHeartbeat, interval);
        this.heartbeat.unref();
        // One timer checks every handshake deadline, a quarter of the timeout apart at most.
        const handshake = this.options.handshakeTimeoutMs ?? handshakeTimeoutMs;
        this.sweep = setInterval(this.onSweep, Math.max(50, Math.min(handshakeSweepMs, Math.floor(handshake / 4))));
        this.sweep.unref();
        // Codes that expired while the console was off are wiped now, not a heartbeat later.
        this.desk.sweep();
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  // ---- registry ------------------------------------------------------------------------------

  isOnline(machineId: string): boolean {
    return this.online.has(machineId);
  }

  connectionOf(machineId: string): AgentConnection | undefined {
    return this.online.get(machineId);
  }

  /** Authenticated connections (iterate; do not keep). */
  onlineConnections(): IterableIterator<AgentConnection> {
    return this.online.values();
  }

  /** The API's view of a stored machine, with what only the hub knows (online, last seen). */
  machineView(record: MachineRecord): Machine {
    const connection = this.online.get(record.id);
    return {
      id: record.id,
      labId: record.labId,
      name: record.name,
      hostname: record.hostname,
      os: record.os,
      user: record.user,
      agentVersion: record.agentVersion,
      desktop: record.desktop,
      screens: record.screens,
      enrolledAt: record.enrolledAt,
      lastSeenAt: connection ? connection.lastSeenAt : record.lastSeenAt,
      online: connection !== undefined,
      state: record.state,
      remoteAddress: connection ? connection.remoteAddress : record.remoteAddress,
    };
  }

  /** Re-reads a machine and tells the UI about it. */
  publishMachine(machineId: string): void {
    const record = this.options.store.machines.findMachine(machineId);
    if (record && record.revokedAt === null) this.options.events.emit({ type: 'machine.updated', machine: this.machineView(record) });
  }

  /** A machine was removed: its key is revoked; hang up on it now. */
  disconnectRevoked(machineId: string): void {
    this.online.get(machineId)?.fail('revoked', 'this machine was removed from the console', closeCodes.revoked);
  }

  /** A machine moved to another lab: its live connection follows. */
  machineMoved(machineId: string, labId: string): void {
    const connection = this.online.get(machineId);
    if (connection) connection.labId = labId;
  }

  /** Records the agent's state after a command when it changed, and tells the UI. */
  updateState(connection: AgentConnection, state: AgentState): void {
    connection.watchable = state.lessonActive;
    const json = JSON.stringify(state);
    if (json === connection.stateJson) return;
    connection.stateJson = json;
    this.options.store.machines.recordState(connection.machineId, state);
    this.publishMachine(connection.machineId);
  }

  /** Resolves with the next inventory the machine reports, or null after `timeoutMs`. */
  nextInventory(machineId: string, timeoutMs: number): Promise<Inventory | null> {
    return new Promise((resolve) => {
      let waiters = this.inventoryWaiters.get(machineId);
      if (!waiters) this.inventoryWaiters.set(machineId, (waiters = new Set()));
      const set = waiters;
      const done = (inventory: Inventory | null): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.inventoryWaiters.get(machineId) === set) this.inventoryWaiters.delete(machineId);
        resolve(inventory);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      set.add(done);
    });
  }

  // ---- connection owner ----------------------------------------------------------------------

  private readonly onConnection = (ws: WebSocket, request: IncomingMessage): void => {
    if (this.closing) {
      ws.close(closeCodes.goingAway, 'console shutting down');
      return;
    }
    let handshaking = 0;
    for (const c of this.connections) if (c.phase !== 'authenticated') handshaking++;
    if (handshaking >= maxPendingHandshakes || this.connections.size >= maxAgentConnections + maxPendingHandshakes) {
      this.log(`agent-hub: refusing a connection from ${request.socket.remoteAddress}: too many connections`);
      ws.close(1013, 'try again later');
      return;
    }
    this.connections.add(new AgentConnection(ws, request, this, this.options.handshakeTimeoutMs ?? handshakeTimeoutMs));
  };

  enrol(connection: AgentConnection, message: Extract<AgentMessage, { type: 'enrol' }>): Promise<void> {
    return this.desk.enrol(connection, message);
  }

  async authenticate(connection: AgentConnection, message: Extract<AgentMessage, { type: 'auth' }>): Promise<void> {
    const { store } = this.options;
    const record = store.machines.findMachine(message.machineId);
    if (!record) {
      connection.fail('not-enrolled', 'this machine is not enrolled on this console', closeCodes.authFailed);
      return;
    }
    if (record.revokedAt !== null) {
      connection.fail('revoked', 'this machine was removed from the console', closeCodes.revoked);
      return;
    }
    const transcript = authTranscript(connection.nonce, this.fingerprint, message.machineId);
    const ok = await verifyAuth(record.publicKey, transcript, message.signature);
    if (connection.phase !== 'verifying') return; // hung up meanwhile
    if (!ok) {
      connection.fail('auth-failed', 'signature does not match this machine', closeCodes.authFailed);
      return;
    }
    // Removed while we were verifying? Then it stays out.
    const current = store.machines.findMachine(message.machineId);
    if (!current || current.revokedAt !== null) {
      connection.fail('revoked', 'this machine was removed from the console', closeCodes.revoked);
      return;
    }
    if (this.online.size >= maxAgentConnections && !this.online.has(current.id)) {
      connection.close(1013, 'too many agents');
      return;
    }

    connection.authenticated(current.id, current.labId);
    connection.stateJson = JSON.stringify(current.state);
    const previous = this.online.get(current.id);
    this.online.set(current.id, connection);
    if (previous && previous !== connection) {
      this.log(`agent-hub: ${current.id}: a newer connection from ${connection.remoteAddress ?? '?'} replaces the one from ${previous.remoteAddress ?? '?'}`);
      previous.close(closeCodes.replaced, 'replaced by a newer connection');
    }
    store.machines.recordSeen(current.id, connection.lastSeenAt, connection.remoteAddress);
    connection.send({ type: 'welcome', machineId: current.id, lesson: this.lessonState(current.labId) });
    this.log(`agent-hub: ${connection.label} authenticated (${current.name})`);
    this.publishMachine(current.id);
  }

  handleMessage(connection: AgentConnection, message: AgentMessage): void {
    const hooks = this.hooks;
    const { store } = this.options;
    switch (message.type) {
      case 'ack':
        hooks?.ack(connection, message);
        return;
      case 'thumbnailError':
        hooks?.thumbnailError(connection, message);
        return;
      case 'hello': {
        const { identity, session, state } = message;
        store.machines.recordHello(connection.machineId, {
          hostname: identity.hostname,
          os: `${identity.os.platform} ${identity.os.release}`.trim(),
          user: session.user,
          agentVersion: identity.agentVersion,
          desktop: identity.desktop,
          screens: session.screens,
          state,
        });
        connection.stateJson = JSON.stringify(state);
        connection.watchable = state.lessonActive;
        connection.capabilities = message.capabilities;
        const first = !connection.helloReceived;
        connection.helloDone();
        this.publishMachine(connection.machineId);
        if (first) hooks?.ready(connection, state);
        return;
      }
      case 'session':
        store.machines.recordSession(connection.machineId, message.session.user, message.session.screens);
        this.publishMachine(connection.machineId);
        return;
      case 'state':
        // A change without a command (a student fighting the lock): the tile shows it.
        if (message.state.lockIssue) this.log(`agent-hub: ${connection.label} reports a lock issue: ${message.state.lockIssue}`);
        this.updateState(connection, message.state);
        return;
      case 'inventory': {
        store.machines.recordInventory(connection.machineId, message.inventory);
        const waiters = this.inventoryWaiters.get(connection.machineId);
        if (waiters) for (const done of [...waiters]) done(message.inventory);
        return;
      }
      case 'blocked':
        hooks?.blocked?.(connection, message);
        return;
      case 'filterStatus':
        hooks?.filterStatus?.(connection, message);
        return;
      case 'error':
        this.log(`agent-hub: ${connection.label} reports ${message.error.code}: ${message.error.message}`);
        return;
      case 'enrol':
      case 'auth':
        connection.reject(new ProtocolError('message-invalid', `${message.type} after authentication`));
        return;
    }
  }

  handleFrame(connection: AgentConnection, data: Buffer): void {
    if (this.hooks) this.hooks.frame(connection, data);
  }

  handleClose(connection: AgentConnection, code: number): void {
    this.connections.delete(connection);
    if (!connection.machineId) return;
    this.hooks?.disconnected(connection);
    if (this.online.get(connection.machineId) !== connection) return; // replaced: the newer one stays online
    this.online.delete(connection.machineId);
    const { store } = this.options;
    if (!store.db.open) return;
    const record = store.machines.findMachine(connection.machineId);
    if (!record) return;
    store.machines.recordSeen(connection.machineId, connection.lastSeenAt, connection.remoteAddress);
    this.log(`agent-hub: ${connection.label} disconnected (${code})`);
    if (record.revokedAt === null && !this.closing) this.publishMachine(connection.machineId);
  }

  private lessonState(labId: string | null): LessonState {
    return this.hooks ? this.hooks.lessonState(labId) : { active: false, language: 'vi' };
  }

  // ---- housekeeping --------------------------------------------------------------------------

  private readonly onSweep = (): void => {
    const now = Date.now();
    for (const connection of this.connections) if (connection.handshakeDeadline !== 0) connection.checkHandshake(now);
  };

  private readonly onHeartbeat = (): void => {
    for (const connection of this.connections) {
      if (connection.missedPongs >= maxMissedPongs) {
        this.log(`agent-hub: ${connection.label} missed ${connection.missedPongs} heartbeats; dropping it`);
        connection.terminate();
        continue;
      }
      connection.missedPongs++;
      connection.ping();
    }
    this.desk.sweep();
  };

  /** Says goodbye to every agent (goingAway: they reconnect with backoff) and stops listening. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.sweep) clearInterval(this.sweep);
    for (const connection of this.connections) connection.close(closeCodes.goingAway, 'console shutting down');
    const deadline = Date.now() + closeGraceMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const connection of this.connections) connection.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
