// The console certificate is made once, kept private, and reused: agents pin its fingerprint.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateCertificate, privateKeyFileName } from '../../../src/main/certificate.js';
import { certificateFingerprint } from '../../../src/shared/auth/enrolment.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-cert-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('console certificate', () => {
  it('creates an EC P-256 certificate on first run with a private key only its owner can read', async () => {
    const created = await loadOrCreateCertificate(dir);
    const cert = new X509Certificate(created.certPem);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(created.keyPem))).toBe(true);
    expect(statSync(path.join(dir, privateKeyFileName)).mode & 0o777).toBe(0o600);
    expect(created.fingerprint).toBe(await certificateFingerprint(new Uint8Array(cert.raw)));
    expect(new Date(cert.validTo).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 10);
  });

  it('reuses the same certificate on every later start', async () => {
    const first = await loadOrCreateCertificate(dir);
    const second = await loadOrCreateCertificate(dir);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.keyPem).toBe(first.keyPem);
  });
});
