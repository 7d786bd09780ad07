// Enrolment and authentication crypto shared by console and agent. WebCrypto only, so the same
// code runs in Node (console, agent) and, if ever needed, the browser.
//
// - Enrolment codes are 60-bit random strings IT staff type ("K7Q2-M9XD-4HTB"). A code is
//   stretched with PBKDF2 (slow on purpose) into K, so a LAN eavesdropper who records an
//   enrolment transcript cannot brute-force the code offline before it expires.
// - Both sides prove knowledge of K bound to the console-certificate fingerprint each of them
//   sees; a man in the middle with another certificate makes the fingerprints differ.
// - After enrolment the agent signs a fresh console nonce with its Ed25519 key on every connection.

const subtle = globalThis.crypto.subtle;
/** Bytes backed by a plain ArrayBuffer (what WebCrypto accepts). */
export type Bytes = Uint8Array<ArrayBuffer>;
type Key = Awaited<ReturnType<typeof subtle.importKey>>;
const encoder = new TextEncoder();

/** Crockford base32 without I, L, O, U: easy to read aloud and type. */
const codeAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const enrolmentCodeGroups = 3;
export const enrolmentCodeGroupLength = 4;
export const enrolmentKdfIterations = 200_000;
const enrolmentKdfSalt = encoder.encode('safelab-enrolment-v1');

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

export function fromBase64(text: string): Bytes {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function randomBytes(length: number): Bytes {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh enrolment code, e.g. "K7Q2-M9XD-4HTB" (60 bits). */
export function generateEnrolmentCode(): string {
  const bytes = randomBytes(enrolmentCodeGroups * enrolmentCodeGroupLength);
  const chars = Array.from(bytes, (b) => codeAlphabet[b & 31]);
  const groups: string[] = [];
  for (let g = 0; g < enrolmentCodeGroups; g++) {
    groups.push(chars.slice(g * enrolmentCodeGroupLength, (g + 1) * enrolmentCodeGroupLength).join(''));
  }
  return groups.join('-');
}

/**
 * Normalises what a person typed: case, spaces, dashes, and the look-alikes O->0, I/L->1.
 * Returns null when it cannot be a code.
 */
export function normaliseEnrolmentCode(typed: string): string | null {
  const cleaned = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const length = enrolmentCodeGroups * enrolmentCodeGroupLength;
  if (cleaned.length !== length) return null;
  for (const ch of cleaned) if (!codeAlphabet.includes(ch)) return null;
  const groups: string[] = [];
  for (let g = 0; g < enrolmentCodeGroups; g++) {
    groups.push(cleaned.slice(g * enrolmentCodeGroupLength, (g + 1) * enrolmentCodeGroupLength));
  }
  return groups.join('-');
}

/** K = PBKDF2-SHA256(code), raw 32 bytes. Takes ~100 ms on purpose. */
export async function deriveEnrolmentKey(code: string): Promise<Bytes> {
  const normalised = normaliseEnrolmentCode(code);
  if (!normalised) throw new Error('not an enrolment code');
  const material = await subtle.importKey('raw', encoder.encode(normalised), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: enrolmentKdfSalt, iterations: enrolmentKdfIterations },
    material,
    256,
  );
  return new Uint8Array(bits);
}

function concat(parts: (string | Bytes)[]): Bytes {
  const bufs = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length + 4, 0));
  let offset = 0;
  for (const b of bufs) {
    // Length-prefix every part so no two different transcripts serialise alike.
    new DataView(out.buffer).setUint32(offset, b.length);
    out.set(b, offset + 4);
    offset += b.length + 4;
  }
  return out;
}

async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/** Constant-time comparison of two byte strings. */
export function timingSafeEqualBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export type EnrolmentRole = 'agent' | 'console';

/** Proof that `role` knows K, bound to the certificate fingerprint, the agent key and a nonce. */
export function enrolmentProof(
  key: Bytes,
  role: EnrolmentRole,
  consoleFingerprint: string,
  agentPublicKey: string,
  nonce: string,
): Promise<Bytes> {
  return hmac(key, concat(['safelab-enrol-v1', role, consoleFingerprint, agentPublicKey, nonce]));
}

export async function verifyEnrolmentProof(
  key: Bytes,
  role: EnrolmentRole,
  consoleFingerprint: string,
  agentPublicKey: string,
  nonce: string,
  proof: Bytes,
): Promise<boolean> {
  const expected = await enrolmentProof(key, role, consoleFingerprint, agentPublicKey, nonce);
  return timingSafeEqualBytes(expected, proof);
}

/** The exact bytes an agent signs to authenticate one connection. */
export function authTranscript(nonce: string, consoleFingerprint: string, machineId: string): Bytes {
  return concat(['safelab-auth-v1', nonce, consoleFingerprint, machineId]);
}

export interface AgentKeyPair {
  /** SPKI DER, base64. */
  publicKey: string;
  /** PKCS#8 DER, base64. Keep secret. */
  privateKey: string;
}

export async function generateAgentKeyPair(): Promise<AgentKeyPair> {
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as { publicKey: Key; privateKey: Key };
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  return { publicKey: toBase64(spki), privateKey: toBase64(pkcs8) };
}

export async function signAuth(privateKey: string, transcript: Bytes): Promise<string> {
  const key = await subtle.importKey('pkcs8', fromBase64(privateKey), { name: 'Ed25519' }, false, ['sign']);
  return toBase64(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, transcript)));
}

export async function verifyAuth(publicKey: string, transcript: Bytes, signature: string): Promise<boolean> {
  try {
    const key = await subtle.importKey('spki', fromBase64(publicKey), { name: 'Ed25519' }, false, ['verify']);
    return await subtle.verify({ name: 'Ed25519' }, key, fromBase64(signature), transcript);
  } catch {
    return false;
  }
}

/** SHA-256 of a DER certificate as upper-case hex pairs joined by ':' (as browsers show it). */
export async function certificateFingerprint(der: Bytes): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', der));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** Machine id derived from the agent's public key: stable, unguessable, url-safe. */
export async function machineIdFromPublicKey(publicKey: string): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', fromBase64(publicKey)));
  return 'm-' + Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
}
