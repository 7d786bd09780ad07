// A small stand-in console for agent integration tests: a real TLS websocket server with a
// self-signed certificate that speaks the agent handshake with the shared crypto, records every
// message, and lets a test send anything (including garbage) to the agent.

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  authTranscript,
  certificateFingerprint,
  deriveEnrolmentKey,
  enrolmentProof,
  fromBase64,
  machineIdFromPublicKey,
  randomBytes,
  toBase64,
  verifyAuth,
  verifyEnrolmentProof,
  type Bytes,
} from '../../../src/shared/auth/enrolment.js';
import { decodeAgentMessage, encodeMessage } from '../../../src/shared/protocol/codec.js';
import { closeCodes } from '../../../src/shared/protocol/errors.js';
import { maxWebSocketPayloadBytes, protocolVersion } from '../../../src/shared/protocol/limits.js';
import type { AgentMessage, ConsoleMessage, LessonState } from '../../../src/shared/protocol/messages.js';

x509.cryptoProvider.set(globalThis.crypto);

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

/** A self-signed ECDSA P-256 certificate for 127.0.0.1, like the console makes for itself. */
export async function makeCertificate(commonName = 'SafeLab test console'): Promise<TestCertificate> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await globalThis.crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(randomBytes(8)).toString('hex'),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }])],
  });
  const pkcs8 = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${(Buffer.from(pkcs8).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem, fingerprint: await certificateFingerprint(new Uint8Array(cert.rawData) as Bytes) };
}

export interface AgentSocket {
  readonly index: number;
  readonly ws: WebSocket;
  /** Every text frame as received (decoded when valid, else kept as `invalid`). */
  readonly messages: AgentMessage[];
  readonly invalid: string[];
  readonly frames: Uint8Array[];
  machineId: string | null;
  closed: boolean;
}

export interface TestConsoleOptions {
  certificate: TestCertificate;
  /** Enrolment code this console accepts; null refuses every enrolment. */
  code?: string | null;
  lesson?: LessonState;
  /** Close code for every auth attempt instead of accepting it (e.g. closeCodes.revoked). */
  refuseAuthWith?: number;
}

export class TestConsole {
  readonly sockets: AgentSocket[] = [];
  /** machineId -> public key, filled by enrolment or by the test. */
  readonly machines = new Map<string, string>();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private keyForCode: Promise<Bytes> | null = null;
  port = 0;

  constructor(readonly options: TestConsoleOptions) {}

  get url(): string {
    return `wss://127.0.0.1:${this.port}/agent`;
  }

  get fingerprint(): string {
    return this.options.certificate.fingerprint;
  }

  async listen(port = 0): Promise<number> {
    const server = createServer({ cert: this.options.certificate.certPem, key: this.options.certificate.keyPem });
    const wss = new WebSocketServer({ server, path: '/agent', perMessageDeflate: false, maxPayload: maxWebSocketPayloadBytes });
    wss.on('connection', (ws) => this.accept(ws));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.wss = wss;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Goes away like a console shutting down: every agent is told goingAway, the port closes. */
  async close(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.close(closeCodes.goingAway, 'console stopping');
    for (const client of this.wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    this.server = null;
    this.wss = null;
  }

  private accept(ws: WebSocket): void {
    const socket: AgentSocket = { index: this.sockets.length, ws, messages: [], invalid: [], frames: [], machineId: null, closed: false };
    this.sockets.push(socket);
    const nonce = toBase64(randomBytes(32));
    ws.on('close', () => (socket.closed = true));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      const bytes = data instanceof Buffer ? data : Buffer.concat(data as Buffer[]);
      if (isBinary) {
        socket.frames.push(new Uint8Array(bytes));
        return;
      }
      let message: AgentMessage;
      try {
        message = decodeAgentMessage(bytes.toString());
      } catch {
        socket.invalid.push(bytes.toString());
        return;
      }
      socket.messages.push(message);
      void this.handshake(socket, nonce, message);
    });
    this.send(socket, { type: 'challenge', protocol: protocolVersion, nonce, consoleTime: Date.now() });
  }

  private async handshake(socket: AgentSocket, nonce: string, message: AgentMessage): Promise<void> {
    const fp = this.fingerprint;
    if (message.type === 'enrol') {
      const code = this.options.code ?? null;
      this.keyForCode ??= code ? deriveEnrolmentKey(code) : null;
      const key = this.keyForCode ? await this.keyForCode : null;
      const ok = key !== null && (await verifyEnrolmentProof(key, 'agent', fp, message.publicKey, message.nonce, fromBase64(message.proof)));
      if (!ok || !key) {
        this.send(socket, { type: 'error', error: { code: 'enrolment-rejected', message: 'wrong or expired code' } });
        socket.ws.close(closeCodes.authFailed, 'enrolment rejected');
        return;
      }
      const machineId = await machineIdFromPublicKey(message.publicKey);
      this.machines.set(machineId, message.publicKey);
      const proof = toBase64(await enrolmentProof(key, 'console', fp, message.publicKey, message.nonce));
      this.send(socket, { type: 'enrolled', machineId, proof });
      socket.ws.close(closeCodes.enrolled, 'enrolled');
    } else if (message.type === 'auth') {
      if (this.options.refuseAuthWith !== undefined) {
        socket.ws.close(this.options.refuseAuthWith, 'refused by test');
        return;
      }
      const publicKey = this.machines.get(message.machineId);
      const ok = publicKey !== undefined && (await verifyAuth(publicKey, authTranscript(nonce, fp, message.machineId), message.signature));
      if (!ok) {
        socket.ws.close(closeCodes.authFailed, 'auth failed');
        return;
      }
      socket.machineId = message.machineId;
      this.send(socket, { type: 'welcome', machineId: message.machineId, lesson: this.options.lesson ?? { active: false, language: 'vi' } });
    }
  }

  send(socket: AgentSocket, message: ConsoleMessage): void {
    if (socket.ws.readyState === socket.ws.OPEN) socket.ws.send(encodeMessage(message));
  }

  sendRaw(socket: AgentSocket, data: string | Uint8Array): void {
    socket.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** The newest authenticated, open connection. */
  get live(): AgentSocket | undefined {
    for (let i = this.sockets.length - 1; i >= 0; i--) {
      const s = this.sockets[i]!;
      if (!s.closed && s.machineId !== null) return s;
    }
    return undefined;
  }

  textMessageCount(): number {
    return this.sockets.reduce((n, s) => n + s.messages.length + s.invalid.length, 0);
  }
}

/** Polls `probe` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | false | null, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
