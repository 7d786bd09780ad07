// The agent CLI enrols a PC with a console: with a typed code (the console's certificate is
// learned and only pinned after the console proved it knows the code) or with an enrolment file
// (the certificate must match before anything is sent).

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEnrolmentCode } from '../../../src/shared/auth/enrolment.js';
import { AgentProcess, assertAgentBuilt, killAllAgents } from './agent-process.js';
import { makeCertificate, TestConsole, type TestCertificate } from './test-console.js';

describe('agent enrolment', () => {
  const code = generateEnrolmentCode();
  let certificate: TestCertificate;
  let otherCertificate: TestCertificate;
  let console: TestConsole;
  const folders: string[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'safelab-agent-enrol-'));
    folders.push(dir);
    return dir;
  };

  beforeAll(async () => {
    assertAgentBuilt();
    [certificate, otherCertificate] = await Promise.all([makeCertificate(), makeCertificate('Impostor')]);
    console = new TestConsole({ certificate, code });
    await console.listen();
  });

  afterAll(async () => {
    await killAllAgents();
    await console?.close();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it('enrols with a typed code and pins the certificate the console proved itself with', async () => {
    const dir = dataDir();
    const agent = new AgentProcess(['enrol', '--console', console.url, '--code', code.toLowerCase(), '--data-dir', dir, '--hostname', 'lab1-pc07']);
    expect(await agent.waitForExit(), agent.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8'));
    expect(config.consoleFingerprint).toBe(console.fingerprint);
    expect(config.consoleUrl).toBe(console.url);
    expect(console.machines.get(config.machineId)).toBe(config.publicKey);
    expect(config.hostname).toBe('lab1-pc07');
    expect(statSync(join(dir, 'agent.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'agent.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(agent.stdout).toContain(config.machineId);
    const enrol = console.sockets.flatMap((s) => s.messages).find((m) => m.type === 'enrol');
    expect(enrol && enrol.type === 'enrol' && enrol.hostname).toBe('lab1-pc07');
  });

  it('enrols from an enrolment file exported by the console', async () => {
    const dir = dataDir();
    const file = join(dir, 'enrol.safelab.json');
    writeFileSync(
      file,
      JSON.stringify({ format: 'safelab-enrolment', version: 1, consoleUrl: console.url, consoleFingerprint: console.fingerprint, code, labId: null, expiresAt: Date.now() + 600_000 }),
    );
    const agent = new AgentProcess(['enrol', '--enrolment-file', file, '--data-dir', dir]);
    expect(await agent.waitForExit(), agent.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8'));
    expect(config.consoleFingerprint).toBe(console.fingerprint);
    expect(console.machines.has(config.machineId)).toBe(true);
  });

  it('refuses a console whose certificate differs from the enrolment file, sending it nothing', async () => {
    const impostor = new TestConsole({ certificate: otherCertificate, code });
    await impostor.listen();
    try {
      const dir = dataDir();
      const file = join(dir, 'enrol.safelab.json');
      writeFileSync(
        file,
        JSON.stringify({ format: 'safelab-enrolment', version: 1, consoleUrl: impostor.url, consoleFingerprint: console.fingerprint, code, labId: null, expiresAt: Date.now() + 600_000 }),
      );
      const agent = new AgentProcess(['enrol', '--enrolment-file', file, '--data-dir', dir]);
      expect(await agent.waitForExit(), agent.stderr).toBe(5);
      expect(impostor.sockets.length).toBeGreaterThanOrEqual(1);
      expect(impostor.textMessageCount()).toBe(0);
      expect(agent.stderr).toContain('certificate-mismatch');
      expect(agent.stderr).toContain('không khớp với tệp ghi danh');
      expect(agent.stderr).toContain('does not match the enrolment file');
      expect(() => statSync(join(dir, 'agent.json'))).toThrow();
    } finally {
      await impostor.close();
    }
  });

  it('explains a wrong code in Vietnamese and English and stays unenrolled', async () => {
    const dir = dataDir();
    let wrong = generateEnrolmentCode();
    while (wrong === code) wrong = generateEnrolmentCode();
    const agent = new AgentProcess(['enrol', '--console', console.url, '--code', wrong, '--data-dir', dir]);
    expect(await agent.waitForExit(), agent.stderr).toBe(5);
    expect(agent.stderr).toContain('mã sai hoặc đã hết hạn');
    expect(agent.stderr).toContain('it is wrong or has expired');
    expect(() => statSync(join(dir, 'agent.json'))).toThrow();
  });

  it('explains an unreachable console and a malformed code', async () => {
    const closed = new TestConsole({ certificate, code });
    const port = await closed.listen();
    await closed.close();
    const dir = dataDir();
    const unreachable = new AgentProcess(['enrol', '--console', `wss://127.0.0.1:${port}/agent`, '--code', code, '--data-dir', dir]);
    expect(await unreachable.waitForExit()).toBe(5);
    expect(unreachable.stderr).toContain('Cannot reach the teacher console');
    const malformed = new AgentProcess(['enrol', '--console', console.url, '--code', 'K7Q2-M9', '--data-dir', dir]);
    expect(await malformed.waitForExit()).toBe(5);
    expect(malformed.stderr).toContain('example K7Q2-M9XD-4HTB');
  });
});
