// Opens the TLS websocket to the console and checks the console's certificate fingerprint
// before the agent reads or sends a single protocol message.
//
// The console's certificate is self-signed, so TLS chain validation is off (rejectUnauthorized:
// false) and trust comes from pinning instead: the SHA-256 of the certificate must equal the one
// learned at enrolment. The socket is handed over paused; the caller attaches its listeners and
// resumes it, so no inbound message can slip past the check.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { certificateFingerprint } from '../shared/auth/enrolment.js';
import { maxWebSocketPayloadBytes } from '../shared/protocol/limits.js';

export type ConsoleSocketErrorCode = 'unreachable' | 'certificate-mismatch' | 'bad-url';

export class ConsoleSocketError extends Error {
  readonly code: ConsoleSocketErrorCode;
  /** The fingerprint the server presented (certificate-mismatch only). */
  readonly actualFingerprint?: string;
  constructor(code: ConsoleSocketErrorCode, message: string, actualFingerprint?: string) {
    super(message);
    this.name = 'ConsoleSocketError';
    this.code = code;
    if (actualFingerprint !== undefined) this.actualFingerprint = actualFingerprint;
  }
}

export interface OpenedConsoleSocket {
  /** Open and paused: attach listeners, then call ws.resume(). */
  ws: WebSocket;
  /** Fingerprint of the certificate this console presented. */
  fingerprint: string;
}

export interface OpenConsoleSocketOptions {
  /** The pinned fingerprint, or null during code-only enrolment (the proof then binds it). */
  expectedFingerprint: string | null;
  /** Limit for TCP + TLS + websocket upgrade. */
  timeoutMs: number;
}

export function checkConsoleUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConsoleSocketError('bad-url', `not a URL: ${url}`);
  }
  // Never plain ws://: student screens must not cross the LAN in clear text.
  if (parsed.protocol !== 'wss:') throw new ConsoleSocketError('bad-url', `the console address must start with wss:// (got ${url})`);
  return parsed;
}

export function openConsoleSocket(url: string, options: OpenConsoleSocketOptions): Promise<OpenedConsoleSocket> {
  checkConsoleUrl(url);
  return new Promise((resolve, reject) => {
    let settled = false;
    let fingerprint: Promise<string> | null = null;
    const ws = new WebSocket(url, {
      rejectUnauthorized: false,
      perMessageDeflate: false,
      maxPayload: maxWebSocketPayloadBytes,
      handshakeTimeout: options.timeoutMs,
      followRedirects: false,
    });

    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late socket error must not become an uncaught exception
      ws.terminate();
      reject(error);
    };

    ws.on('upgrade', (response: IncomingMessage) => {
      const socket = response.socket as TLSSocket;
      const raw = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false)?.raw : undefined;
      if (raw && raw.length > 0) fingerprint = certificateFingerprint(new Uint8Array(raw));
    });

    ws.on('open', () => {
      // Stop reading until the certificate is checked; nothing has been sent yet.
      ws.pause();
      if (!fingerprint) {
        fail(new ConsoleSocketError('certificate-mismatch', 'the console presented no certificate', ''));
        return;
      }
      fingerprint.then(
        (actual) => {
          if (settled) return;
          if (options.expectedFingerprint !== null && actual !== options.expectedFingerprint) {
            fail(new ConsoleSocketError('certificate-mismatch', `certificate fingerprint ${actual} is not the pinned one`, actual));
            return;
          }
          settled = true;
          ws.removeAllListeners();
          resolve({ ws, fingerprint: actual });
        },
        (error: unknown) => fail(new ConsoleSocketError('certificate-mismatch', `cannot read the certificate: ${String(error)}`, '')),
      );
    });

    ws.on('error', (error: Error) => fail(new ConsoleSocketError('unreachable', describeNetworkError(error))));
    ws.on('close', () => fail(new ConsoleSocketError('unreachable', 'connection closed during the handshake')));
  });
}

/** Short reason for a failed connection, in the words IT staff search for. */
export function describeNetworkError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ETIMEDOUT' || /timed out/i.test(error.message)) return 'timed out';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (code === 'ECONNRESET') return 'connection reset';
  return error.message.slice(0, 200);
}
