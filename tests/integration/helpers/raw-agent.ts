// A hand-driven agent for tests: speaks the wire protocol step by step with the shared crypto,
// and can also break it on purpose (bad frames, replays, wrong fingerprints, silence).
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import {
  authTranscript,
  certificateFingerprint,
  deriveEnrolmentKey,
  enrolmentProof,
  generateAgentKeyPair,
  randomBytes,
  signAuth,
  toBase64,
  type AgentKeyPair,
} from '../../../src/shared/auth/enrolment.js';
import { decodeConsoleMessage } from '../../../src/shared/protocol/codec.js';
import { protocolVersion } from '../../../src/shared/protocol/limits.js';
import type { AgentMessage, AgentState, ConsoleMessage } from '../../../src/shared/protocol/messages.js';
import { withTimeout } from './wait.js';

export interface RawAgentOptions {
  /** Source address, e.g. '127.0.0.9', to appear as another PC to per-address limits. */
  localAddress?: string;
  /** Do not answer pings (a hung PC). */
  noPong?: boolean;
  /** The state reported in hello (default: unlocked, no lesson). */
  helloState?: AgentState;
}

export interface Closed {
  code: number;
  reason: string;
}

type MessageOf<T extends ConsoleMessage['type']> = Extract<ConsoleMessage, { type: T }>;

export class RawAgent {
  readonly ws: WebSocket;
  fingerprint = '';
  readonly received: ConsoleMessage[] = [];
  readonly closed: Promise<Closed>;
  private consumed = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.received.push(decodeConsoleMessage(data.toString()));
      } catch {
        return;
      }
      for (const listener of [...this.listeners]) listener();
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, options: RawAgentOptions = {}): Promise<RawAgent> {
    const ws = new WebSocket(url, {
      rejectUnauthorized: false,
      perMessageDeflate: false,
      autoPong: !options.noPong,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const agent = new RawAgent(ws);
    ws.once('upgrade', (response) => {
      const raw = (response.socket as TLSSocket).getPeerCertificate(false)?.raw;
      if (raw) void certificateFingerprint(new Uint8Array(raw)).then((fp) => (agent.fingerprint = fp));
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5000,
      `a websocket to ${url}`,
    );
    // The fingerprint promise settles within a tick of 'open'.
    for (let i = 0; i < 20 && !agent.fingerprint; i++) await new Promise((r) => setTimeout(r, 5));
    return agent;
  }

  /** The next message of `type` not taken yet (earlier messages of other types are skipped past). */
  next<T extends ConsoleMessage['type']>(type: T, ms = 5000): Promise<MessageOf<T>> {
    const take = (): MessageOf<T> | undefined => {
      for (let i = this.consumed; i < this.received.length; i++) {
        const message = this.received[i]!;
        if (message.type === type) {
          this.consumed = i + 1;
          return message as MessageOf<T>;
        }
      }
      return undefined;
    };
    const now = take();
    if (now) return Promise.resolve(now);
    let listener!: () => void;
    const found = new Promise<MessageOf<T>>((resolve) => {
      listener = () => {
        const message = take();
        if (message) resolve(message);
      };
      this.listeners.add(listener);
    });
    return withTimeout(found, ms, `a ${type} message`).finally(() => this.listeners.delete(listener));
  }

  send(message: AgentMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  waitClosed(ms = 5000): Promise<Closed> {
    return withTimeout(this.closed, ms, 'the console to close the socket');
  }

  /** Sends an enrol message; `fingerprint` lets a test pretend it saw another certificate. */
  async sendEnrol(code: string, options: { hostname?: string; keyPair?: AgentKeyPair; fingerprint?: string } = {}): Promise<AgentKeyPair> {
    const keyPair = options.keyPair ?? (await generateAgentKeyPair());
    const key = await deriveEnrolmentKey(code);
    const nonce = toBase64(randomBytes(32));
    const proof = await enrolmentProof(key, 'agent', options.fingerprint ?? this.fingerprint, keyPair.publicKey, nonce);
    this.send({ type: 'enrol', protocol: protocolVersion, publicKey: keyPair.publicKey, nonce, proof: toBase64(proof), hostname: options.hostname ?? 'RAW-PC' });
    return keyPair;
  }

  /** The auth message for this connection's challenge (not sent). */
  async authMessage(machineId: string, privateKey: string): Promise<Extract<AgentMessage, { type: 'auth' }>> {
    const challenge = this.received.find((m) => m.type === 'challenge') ?? (await this.next('challenge'));
    if (challenge.type !== 'challenge') throw new Error('no challenge');
    const signature = await signAuth(privateKey, authTranscript(challenge.nonce, this.fingerprint, machineId));
    return { type: 'auth', protocol: protocolVersion, machineId, signature };
  }

  /** Authenticates and says hello; resolves with the welcome. */
  async authenticate(machineId: string, privateKey: string, hostname = 'RAW-PC', state: AgentState = { locked: false, lessonActive: false }): Promise<MessageOf<'welcome'>> {
    this.send(await this.authMessage(machineId, privateKey));
    const welcome = await this.next('welcome');
    this.send({
      type: 'hello',
      identity: { hostname, os: { platform: 'test', release: '1' }, agentVersion: 'raw', desktop: 'raw' },
      session: { user: 'raw', screens: [{ id: 0, name: 'raw', x: 0, y: 0, width: 640, height: 480, primary: true }] },
      state,
      capabilities: [],
    });
    return welcome;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  /** Drops the TCP connection without a goodbye, like a PC losing power. */
  terminate(): void {
    this.ws.terminate();
  }
}

export interface RawMachine {
  machineId: string;
  keyPair: AgentKeyPair;
  hostname: string;
}

/** Enrols a raw agent with `code`; throws unless the console answers `enrolled`. */
export async function enrolRawMachine(agentUrl: string, code: string, hostname = 'RAW-PC', options: RawAgentOptions = {}): Promise<RawMachine> {
  const agent = await RawAgent.connect(agentUrl, options);
  const keyPair = await agent.sendEnrol(code, { hostname });
  const enrolled = await agent.next('enrolled');
  await agent.waitClosed();
  return { machineId: enrolled.machineId, keyPair, hostname };
}

/** Connects, authenticates and says hello as an enrolled raw machine. */
export async function connectRawMachine(agentUrl: string, machine: RawMachine, options: RawAgentOptions = {}): Promise<RawAgent> {
  const agent = await RawAgent.connect(agentUrl, options);
  await agent.authenticate(machine.machineId, machine.keyPair.privateKey, machine.hostname, options.helloState);
  return agent;
}
