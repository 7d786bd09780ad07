// Admitting a new PC: check the agent's proof of an enrolment code against every live enrolment,
// refuse guessers (rate limits per address and overall), record the machine and its public key,
// and answer with the console's own proof so the agent can pin this certificate.

import {
  enrolmentProof,
  fromBase64,
  machineIdFromPublicKey,
  toBase64,
  verifyEnrolmentProof,
  type Bytes,
} from '../../shared/auth/enrolment.js';
import { closeCodes } from '../../shared/protocol/errors.js';
import type { AgentMessage } from '../../shared/protocol/messages.js';
import type { Store } from '../store/index.js';
import type { AgentConnection } from './connection.js';
import { FailureWindow } from './rate-limit.js';

/** Failed enrolments one address may make per window before it is refused. */
export const enrolFailuresPerAddress = 5;
/** Failed enrolments from all addresses together per window (a distributed guesser). */
export const enrolFailuresOverall = 30;
export const enrolFailureWindowMs = 60_000;

export type EnrolMessage = Extract<AgentMessage, { type: 'enrol' }>;

export interface EnrolmentContext {
  store: Store;
  fingerprint: string;
  log(line: string): void;
  /** Lab for enrolments that name none (the default lab), or null. */
  defaultLabId(): string | null;
  /** Called after the machine row is written (events, UI refresh). */
  enrolled(machineId: string, labId: string | null): void;
}

function decodeBase64(text: string): Bytes | null {
  try {
    return fromBase64(text);
  } catch {
    return null;
  }
}

async function isEd25519PublicKey(publicKey: Bytes): Promise<boolean> {
  try {
    await globalThis.crypto.subtle.importKey('spki', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

export class EnrolmentDesk {
  private readonly perAddress = new FailureWindow(enrolFailuresPerAddress, enrolFailureWindowMs);
  private readonly overall = new FailureWindow(enrolFailuresOverall, enrolFailureWindowMs);
  private readonly context: EnrolmentContext;
  /** The attempt being checked; the next one waits for it (see enrol). */
  private queue: Promise<void> = Promise.resolve();

  constructor(context: EnrolmentContext) {
    this.context = context;
  }

  /** Forgets old failures and wipes expired codes (called from the hub's housekeeping tick). */
  sweep(now = Date.now()): void {
    this.perAddress.sweep(now);
    this.overall.sweep(now);
    const { store, log } = this.context;
    if (!store.db.open) return;
    const wiped = store.enrolments.forgetExpiredSecrets(now);
    if (wiped > 0) log(`agent-hub: wiped the codes of ${wiped} expired enrolment(s)`);
  }

  /**
   * Checks one enrolment. Attempts are checked one at a time, in arrival order: each sees the
   * failures of every attempt before it, so a burst of parallel guesses from one PC meets the
   * limit after `enrolFailuresPerAddress` of them instead of all being tried at once. Checking
   * costs one key import and one HMAC per live code (well under a millisecond), so a lab of PCs
   * enrolling together still goes through in moments; the hub's handshake limits bound the queue.
   */
  enrol(connection: AgentConnection, message: EnrolMessage): Promise<void> {
    const turn = this.queue.then(() => this.check(connection, message));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async check(connection: AgentConnection, message: EnrolMessage): Promise<void> {
    const { store, fingerprint, log } = this.context;
    if (connection.phase !== 'verifying') return; // hung up while waiting for its turn: nothing tried
    const address = connection.remoteAddress ?? 'unknown';
    const now = Date.now();
    // Checked before any crypto: a guesser must not get to try, nor to cost us work.
    if (this.perAddress.isLimited(address, now) || this.overall.isLimited('*', now)) {
      connection.fail('enrolment-rate-limited', 'too many failed enrolments; wait a minute', closeCodes.rateLimited);
      return;
    }
    // Counted as failed before the first await and forgiven only if it proves right: an attempt
    // being checked counts against the limit, and hanging up midway does not take it back.
    this.perAddress.recordFailure(address, now);
    this.overall.recordFailure('*', now);

    const publicKey = decodeBase64(message.publicKey);
    const proof = decodeBase64(message.proof);
    let matched: { id: string; labId: string | null; key: Bytes } | null = null;
    if (publicKey && proof && (await isEd25519PublicKey(publicKey))) {
      for (const enrolment of store.enrolments.activeEnrolments(now)) {
        const key = decodeBase64(enrolment.derivedKey ?? '');
        if (!key) continue;
        if (await verifyEnrolmentProof(key, 'agent', fingerprint, message.publicKey, message.nonce, proof)) {
          matched = { id: enrolment.id, labId: enrolment.labId, key };
          break;
        }
      }
    }
    if (matched) {
      this.perAddress.forgive(address, now);
      this.overall.forgive('*', now);
    }
    if (connection.phase !== 'verifying') return; // the agent hung up meanwhile

    if (!matched) {
      store.audit.recordAudit({
        actor: 'system',
        action: 'enrolment.rejected',
        details: { hostname: message.hostname, remoteAddress: address },
      });
      connection.fail('enrolment-rejected', 'enrolment code is wrong or has expired', closeCodes.authFailed);
      return;
    }

    const enrolment = matched;
    const machineId = await machineIdFromPublicKey(message.publicKey);
    const labId = enrolment.labId ?? this.context.defaultLabId();
    store.transaction(() => {
      store.machines.enrolMachine({ id: machineId, labId, hostname: message.hostname, publicKey: message.publicKey, remoteAddress: address });
      store.enrolments.countUse(enrolment.id);
      store.audit.recordAudit({
        actor: 'system',
        action: 'machine.enrolled',
        target: machineId,
        details: { hostname: message.hostname, labId, enrolmentId: enrolment.id, remoteAddress: address },
      });
    });
    log(`agent-hub: enrolled ${message.hostname} as ${machineId} from ${address} into lab ${labId ?? '(none)'}`);
    const consoleProof = await enrolmentProof(enrolment.key, 'console', fingerprint, message.publicKey, message.nonce);
    connection.send({ type: 'enrolled', machineId, proof: toBase64(consoleProof) });
    connection.close(closeCodes.enrolled, 'enrolled');
    this.context.enrolled(machineId, labId);
  }
}
