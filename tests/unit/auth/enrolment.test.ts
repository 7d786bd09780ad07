// Enrolment codes, proofs bound to the console certificate, and Ed25519 connection auth.
import { describe, expect, it } from 'vitest';
import {
  authTranscript,
  certificateFingerprint,
  deriveEnrolmentKey,
  enrolmentProof,
  generateAgentKeyPair,
  generateEnrolmentCode,
  machineIdFromPublicKey,
  normaliseEnrolmentCode,
  signAuth,
  verifyAuth,
  verifyEnrolmentProof,
} from '../../../src/shared/auth/enrolment.js';

const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');
const otherFp = fp.replace(/^00/, 'FF');

describe('enrolment codes', () => {
  it('are three groups of four unambiguous characters', () => {
    for (let i = 0; i < 200; i++) expect(generateEnrolmentCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('accept what a person types: lower case, spaces, no dashes, O for 0 and I/L for 1', () => {
    expect(normaliseEnrolmentCode('k7q2 m9xd 4htb')).toBe('K7Q2-M9XD-4HTB');
    expect(normaliseEnrolmentCode('K7Q2M9XD4HTB')).toBe('K7Q2-M9XD-4HTB');
    expect(normaliseEnrolmentCode('O0IL-0000-0000')).toBe('0011-0000-0000');
    expect(normaliseEnrolmentCode('K7Q2-M9XD')).toBeNull();
    expect(normaliseEnrolmentCode('K7Q2-M9XD-4HT!')).toBeNull();
  });

  it('derive the same key from the typed and the printed form', async () => {
    const code = generateEnrolmentCode();
    const a = await deriveEnrolmentKey(code);
    const b = await deriveEnrolmentKey(code.toLowerCase().replace(/-/g, ' '));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    await expect(deriveEnrolmentKey('nonsense')).rejects.toThrow();
  });
});

describe('enrolment proofs', () => {
  it('verify only for the same key, role, fingerprint, agent key and nonce', async () => {
    const key = await deriveEnrolmentKey(generateEnrolmentCode());
    const wrongKey = await deriveEnrolmentKey(generateEnrolmentCode());
    const proof = await enrolmentProof(key, 'agent', fp, 'PUB', 'NONCE');
    expect(await verifyEnrolmentProof(key, 'agent', fp, 'PUB', 'NONCE', proof)).toBe(true);
    expect(await verifyEnrolmentProof(wrongKey, 'agent', fp, 'PUB', 'NONCE', proof)).toBe(false);
    // A console cannot replay the agent's proof as its own.
    expect(await verifyEnrolmentProof(key, 'console', fp, 'PUB', 'NONCE', proof)).toBe(false);
    // A man in the middle presents another certificate: the fingerprints differ.
    expect(await verifyEnrolmentProof(key, 'agent', otherFp, 'PUB', 'NONCE', proof)).toBe(false);
    expect(await verifyEnrolmentProof(key, 'agent', fp, 'PUB2', 'NONCE', proof)).toBe(false);
    expect(await verifyEnrolmentProof(key, 'agent', fp, 'PUB', 'NONCE2', proof)).toBe(false);
  });
});

describe('connection authentication', () => {
  it('accepts a signature over this connection nonce and refuses a replay on another', async () => {
    const keys = await generateAgentKeyPair();
    const machineId = await machineIdFromPublicKey(keys.publicKey);
    expect(machineId).toMatch(/^m-[0-9a-f]{24}$/);
    const signature = await signAuth(keys.privateKey, authTranscript('nonce-1', fp, machineId));
    expect(await verifyAuth(keys.publicKey, authTranscript('nonce-1', fp, machineId), signature)).toBe(true);
    expect(await verifyAuth(keys.publicKey, authTranscript('nonce-2', fp, machineId), signature)).toBe(false);
    expect(await verifyAuth(keys.publicKey, authTranscript('nonce-1', otherFp, machineId), signature)).toBe(false);
    const stranger = await generateAgentKeyPair();
    expect(await verifyAuth(stranger.publicKey, authTranscript('nonce-1', fp, machineId), signature)).toBe(false);
    expect(await verifyAuth('not-a-key', authTranscript('nonce-1', fp, machineId), signature)).toBe(false);
  });

  it('length-prefixes transcript parts so different splits never collide', () => {
    const a = authTranscript('ab', 'c', 'm');
    const b = authTranscript('a', 'bc', 'm');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('fingerprints a certificate as 32 colon-separated hex pairs', async () => {
    expect(await certificateFingerprint(new Uint8Array([1, 2, 3]))).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});
