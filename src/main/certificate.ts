// The console's self-signed TLS certificate (EC P-256): made once on first run, reused after,
// because agents pin its fingerprint at enrolment and a new one would orphan every PC. So it is
// written durably, and when one of the two files is missing or they do not belong together the
// console refuses to start and says what to do, rather than quietly making a new one.

import * as x509 from '@peculiar/x509';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { certificateFingerprint } from '../shared/auth/enrolment.js';
import { bilingual } from '../shared/i18n/index.js';
import { writeFileAtomic } from './atomic-file.js';

export const certificateFileName = 'console-cert.pem';
export const privateKeyFileName = 'console-key.pem';
/** Long on purpose: renewing the certificate means re-enrolling every PC. */
export const certificateValidityDays = 20 * 365;

export interface ConsoleCertificate {
  certPem: string;
  keyPem: string;
  /** SHA-256 over the DER certificate, "AB:CD:…" (what agents pin). */
  fingerprint: string;
}

const signing = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

async function fingerprintOf(certPem: string): Promise<string> {
  const cert = new x509.X509Certificate(certPem);
  return certificateFingerprint(new Uint8Array(cert.rawData));
}

/** Why the console cannot use the certificate in its data folder; the message is Vietnamese, then English. */
export class CertificateError extends Error {
  constructor(key: string, params: Record<string, string>) {
    const text = bilingual(key, params);
    super(`${text.vi}\n${text.en}`);
    this.name = 'CertificateError';
  }
}

/** Reads the pair and checks that the key is the certificate's own. */
async function loadPair(certFile: string, keyFile: string): Promise<ConsoleCertificate> {
  const certPem = readFileSync(certFile, 'utf8');
  const keyPem = readFileSync(keyFile, 'utf8');
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch (error) {
    throw new CertificateError('errors.certificateUnreadable', { cert: certFile, key: keyFile, detail: (error as Error).message });
  }
  if (!matches) throw new CertificateError('errors.certificateKeyMismatch', { cert: certFile, key: keyFile });
  return { certPem, keyPem, fingerprint: await fingerprintOf(certPem) };
}

async function createCertificate(): Promise<{ certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(globalThis.crypto);
  const keys = await globalThis.crypto.subtle.generateKey(signing, true, ['sign', 'verify']);
  const now = Date.now();
  const host = hostname();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=SafeLab console ${host.replace(/[,=+<>#;"\\]/g, '-')}, O=SafeLab`,
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + certificateValidityDays * 24 * 3600 * 1000),
    keys,
    signingAlgorithm: signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Agents trust the pinned fingerprint, not names; the SAN is for people inspecting it.
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: host },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', pkcs8) };
}

/**
 * Loads the certificate from the data dir, creating it on first run (key file mode 0600). Throws
 * CertificateError when only one of the two files exists or they are unusable.
 */
export async function loadOrCreateCertificate(dataDir: string, log?: (line: string) => void): Promise<ConsoleCertificate> {
  const certFile = path.join(dataDir, certificateFileName);
  const keyFile = path.join(dataDir, privateKeyFileName);
  const haveCert = existsSync(certFile);
  const haveKey = existsSync(keyFile);
  if (haveCert && haveKey) return loadPair(certFile, keyFile);
  if (haveCert || haveKey) {
    // Agents may have pinned this certificate: a new one would orphan every enrolled PC.
    throw new CertificateError('errors.certificateHalfMissing', {
      dir: dataDir,
      missing: haveCert ? privateKeyFileName : certificateFileName,
      present: haveCert ? certificateFileName : privateKeyFileName,
    });
  }
  const { certPem, keyPem } = await createCertificate();
  // Key first: a crash between the two leaves a key without a certificate, which no agent can
  // have pinned; the refusal above then tells IT staff it is safe to delete it.
  writeFileAtomic(keyFile, keyPem, 0o600);
  writeFileAtomic(certFile, certPem, 0o644);
  const fingerprint = await fingerprintOf(certPem);
  log?.(`certificate: created a new console certificate ${fingerprint}`);
  return { certPem, keyPem, fingerprint };
}
