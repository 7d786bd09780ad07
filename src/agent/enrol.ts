// Enrolment of this PC with a console: prove knowledge of the code IT staff typed (or of the
// enrolment file), check the console proves the same over the certificate it presented, then
// pin that certificate and store the machine id and private key.

import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import {
  deriveEnrolmentKey,
  enrolmentProof,
  fromBase64,
  generateAgentKeyPair,
  normaliseEnrolmentCode,
  randomBytes,
  toBase64,
  verifyEnrolmentProof,
} from '../shared/auth/enrolment.js';
import { enrolmentFileSchema, type EnrolmentFile } from '../shared/api/contract.js';
import { decodeConsoleMessage, encodeMessage } from '../shared/protocol/codec.js';
import { closeCodes, ProtocolError } from '../shared/protocol/errors.js';
import { handshakeTimeoutMs, protocolVersion } from '../shared/protocol/limits.js';
import { writeAgentConfig, writeAgentKey, type AgentConfig } from './config.js';
import { checkConsoleUrl, ConsoleSocketError, openConsoleSocket } from './console-socket.js';
import type { AgentLog } from './log.js';

/**
 * Longest wait for the console's answer once `enrol` is sent. The console stretches the code
 * with PBKDF2 (~100 ms on a fast PC, seconds on an old one under load), so give it room.
 */
export const enrolAnswerTimeoutMs = 20_000;

/** An enrolment failure IT staff can act on: an i18n key (agent.enrol.*) and its parameters. */
export class EnrolmentError extends Error {
  readonly key: string;
  readonly params: Record<string, string | number>;
  constructor(key: string, params: Record<string, string | number> = {}, detail?: string) {
    super(detail ?? key);
    this.name = 'EnrolmentError';
    this.key = key;
    this.params = params;
  }
}

export interface EnrolOptions {
  dataDir: string;
  /** wss://host:port/agent */
  consoleUrl: string;
  code: string;
  /** From an enrolment file: the console must present exactly this certificate. Null with a typed code. */
  expectedFingerprint: string | null;
  /** Name to report instead of the OS host name. */
  hostname?: string;
  log: AgentLog;
}

/** Reads and checks an enrolment file exported by the console. */
export function readEnrolmentFile(path: string): EnrolmentFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON';
    throw new EnrolmentError('agent.enrol.fileInvalid', { path, reason });
  }
  const parsed = enrolmentFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EnrolmentError('agent.enrol.fileInvalid', { path, reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
  }
  return parsed.data;
}

export async function enrol(options: EnrolOptions): Promise<AgentConfig> {
  const { consoleUrl, log } = options;
  const code = normaliseEnrolmentCode(options.code);
  if (!code) throw new EnrolmentError('agent.enrol.codeFormat');
  try {
    checkConsoleUrl(consoleUrl);
  } catch {
    throw new EnrolmentError('agent.enrol.badUrl', { url: consoleUrl });
  }
  const reportedHostname = options.hostname ?? osHostname();

  // Both are local work; do them before dialling so the socket is not held open meanwhile.
  const [keyPair, key] = await Promise.all([generateAgentKeyPair(), deriveEnrolmentKey(code)]);

  let opened;
  try {
    opened = await openConsoleSocket(consoleUrl, { expectedFingerprint: options.expectedFingerprint, timeoutMs: handshakeTimeoutMs });
  } catch (error) {
    if (error instanceof ConsoleSocketError && error.code === 'certificate-mismatch') {
      log('certificate-mismatch', { url: consoleUrl, actual: error.actualFingerprint ?? '', expected: options.expectedFingerprint ?? '' });
      throw new EnrolmentError('agent.enrol.certificateMismatch', { url: consoleUrl, actual: error.actualFingerprint ?? '?' });
    }
    throw new EnrolmentError('agent.enrol.unreachable', { url: consoleUrl, reason: (error as Error).message });
  }
  const { ws, fingerprint } = opened;
  const nonce = toBase64(randomBytes(32));
  const proof = toBase64(await enrolmentProof(key, 'agent', fingerprint, keyPair.publicKey, nonce));

  const machineId = await new Promise<string>((resolve, reject) => {
    let consoleError: string | null = null;
    let verifying: Promise<void> | null = null;
    let done = false;
    const finish = (error: EnrolmentError | null, id?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (ws.readyState === ws.OPEN) ws.close(1000, 'enrolment finished');
      else ws.terminate();
      if (error) reject(error);
      else resolve(id!);
    };
    const deadline = setTimeout(
      () => finish(new EnrolmentError('agent.enrol.timeout', { url: consoleUrl, seconds: Math.round(enrolAnswerTimeoutMs / 1000) })),
      enrolAnswerTimeoutMs,
    );

    ws.on('message', (data, isBinary) => {
      if (done || isBinary) return;
      let message;
      try {
        message = decodeConsoleMessage(data.toString());
      } catch (error) {
        log('invalid-message', { code: error instanceof ProtocolError ? error.code : 'message-invalid' });
        return;
      }
      if (message.type === 'error') {
        consoleError = message.error.code;
        log('console-error', { code: message.error.code, message: message.error.message });
        return;
      }
      if (message.type !== 'enrolled' || verifying) return; // a challenge is for agents already enrolled
      verifying = verifyEnrolmentProof(key, 'console', fingerprint, keyPair.publicKey, nonce, fromBase64(message.proof)).then(
        (ok) => {
          if (ok) finish(null, message.machineId);
          else finish(new EnrolmentError('agent.enrol.consoleProofInvalid', { url: consoleUrl }));
        },
        () => finish(new EnrolmentError('agent.enrol.consoleProofInvalid', { url: consoleUrl })),
      );
    });
    ws.on('error', (error) => log('socket-error', { reason: error.message }));
    ws.on('close', (closeCode) => {
      if (done) return;
      // The console sends `enrolled` and closes at once; the close often arrives while the
      // console's proof is still being checked. That check decides.
      if (verifying) {
        void verifying.then(() => finish(new EnrolmentError('agent.enrol.closed', { code: closeCode })));
        return;
      }
      if (closeCode === closeCodes.rateLimited || consoleError === 'enrolment-rate-limited') {
        finish(new EnrolmentError('agent.enrol.rateLimited'));
      } else if (closeCode === closeCodes.authFailed || consoleError === 'enrolment-rejected') {
        finish(new EnrolmentError('agent.enrol.codeRejected'));
      } else {
        finish(new EnrolmentError('agent.enrol.closed', { code: closeCode }));
      }
    });
    ws.resume();
    ws.send(
      encodeMessage({
        type: 'enrol',
        protocol: protocolVersion,
        publicKey: keyPair.publicKey,
        nonce,
        proof,
        hostname: reportedHostname.slice(0, 256),
      }),
    );
  });

  // The console proved it knows the code over this very certificate: pin it. The key is
  // written first, so agent.json (the "enrolled" marker) never points at a missing key.
  const config: AgentConfig = {
    format: 'safelab-agent',
    version: 1,
    machineId,
    consoleUrl,
    consoleFingerprint: fingerprint,
    publicKey: keyPair.publicKey,
    enrolledAt: Date.now(),
  };
  if (options.hostname !== undefined) config.hostname = options.hostname;
  writeAgentKey(options.dataDir, keyPair.privateKey);
  writeAgentConfig(options.dataDir, config);
  log('enrolled', { machineId, url: consoleUrl, fingerprint });
  return config;
}
