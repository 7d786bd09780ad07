// The console certificate is made once, kept private, and reused: agents pin its fingerprint.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateError, certificateFileName, loadOrCreateCertificate, privateKeyFileName } from '../../../src/main/certificate.js';
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

describe('a damaged certificate pair', () => {
  it('refuses to start, in Vietnamese and English, when the key is gone but the certificate agents pinned is there', async () => {
    const made = await loadOrCreateCertificate(dir);
    rmSync(path.join(dir, privateKeyFileName));
    const refusal = loadOrCreateCertificate(dir);
    await expect(refusal).rejects.toBeInstanceOf(CertificateError);
    await expect(refusal).rejects.toThrow(/thiếu tệp console-key\.pem[\s\S]*khôi phục console-key\.pem[\s\S]*\n.*has console-cert\.pem but not console-key\.pem.*Restore console-key\.pem from a backup/);
    // Nothing was replaced: the pinned certificate is still the one on disk.
    expect(readFileSync(path.join(dir, certificateFileName), 'utf8')).toBe(made.certPem);
    expect(existsSync(path.join(dir, privateKeyFileName))).toBe(false);
  });

  it('refuses when only the key is left, and says deleting it is safe if no PC was enrolled yet', async () => {
    const made = await loadOrCreateCertificate(dir);
    rmSync(path.join(dir, certificateFileName));
    await expect(loadOrCreateCertificate(dir)).rejects.toThrow(/If no PC has been enrolled yet.*delete console-key\.pem and start again/);
    expect(readFileSync(path.join(dir, privateKeyFileName), 'utf8')).toBe(made.keyPem);
    // Following the advice works: with neither file a new certificate is made.
    rmSync(path.join(dir, privateKeyFileName));
    expect((await loadOrCreateCertificate(dir)).fingerprint).not.toBe(made.fingerprint);
  });

  it('refuses a key that is not the certificate’s own, and a file that is not PEM', async () => {
    await loadOrCreateCertificate(dir);
    const other = mkdtempSync(path.join(tmpdir(), 'safelab-cert-other-'));
    try {
      await loadOrCreateCertificate(other);
      copyFileSync(path.join(other, privateKeyFileName), path.join(dir, privateKeyFileName));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    await expect(loadOrCreateCertificate(dir)).rejects.toThrow(/không thuộc về nhau[\s\S]*do not belong together/);
    writeFileSync(path.join(dir, certificateFileName), 'not a certificate');
    await expect(loadOrCreateCertificate(dir)).rejects.toThrow(/Không đọc được chứng chỉ[\s\S]*Cannot read the certificate/);
  });

  it('leaves no temporary files behind after writing the pair', async () => {
    await loadOrCreateCertificate(dir);
    expect(readdirSync(dir).sort()).toEqual([certificateFileName, privateKeyFileName].sort());
  });
});
