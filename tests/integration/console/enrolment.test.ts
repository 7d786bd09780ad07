// Enrolment and authentication on the agent wire: codes, files, refusals, rate limits, replays.
// The console runs in-process (real TLS sockets, real SQLite file); agents are the real agent
// CLI or a hand-driven raw client for the attacks.
import BetterSqlite3 from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolFailuresOverall, enrolFailuresPerAddress } from '../../../src/main/agent-hub/enrolment.js';
import {
  deriveEnrolmentKey,
  enrolmentProof,
  generateAgentKeyPair,
  machineIdFromPublicKey,
  randomBytes,
  toBase64,
} from '../../../src/shared/auth/enrolment.js';
import { protocolVersion } from '../../../src/shared/protocol/limits.js';
import type { AgentMessage } from '../../../src/shared/protocol/messages.js';
import { closeCodes } from '../../../src/shared/protocol/errors.js';
import { machineOnline, machineReady } from '../helpers/console-api.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { connectRawMachine, enrolRawMachine, RawAgent } from '../helpers/raw-agent.js';
import { enrolAgent, runAgent } from '../helpers/real-agent.js';

let dataDir: string;
let console_: TestConsole;

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('enrolment');
  console_ = await startTestConsole({ dataDir, handshakeTimeoutMs: 800 });
});

afterAll(async () => {
  await stopAllChildren();
  await console_?.close();
  removeDir(dataDir);
});

function auditActions(): string[] {
  const db = new BetterSqlite3(path.join(dataDir, 'safelab.sqlite'), { readonly: true });
  try {
    return db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY id').all().map((r) => r.action);
  } finally {
    db.close();
  }
}

/** `count` enrol messages for `code`, each with its own key, proved over this console's certificate. */
async function enrolMessages(code: string, count: number, hostPrefix: string): Promise<Extract<AgentMessage, { type: 'enrol' }>[]> {
  const key = await deriveEnrolmentKey(code);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const keyPair = await generateAgentKeyPair();
      const nonce = toBase64(randomBytes(32));
      const proof = await enrolmentProof(key, 'agent', console_.runtime.consoleFingerprint, keyPair.publicKey, nonce);
      return { type: 'enrol' as const, protocol: protocolVersion, publicKey: keyPair.publicKey, nonce, proof: toBase64(proof), hostname: `${hostPrefix}-${i}` };
    }),
  );
}

describe('enrolment', { timeout: 60_000 }, () => {
  it('enrols a PC with a typed code into the code’s lab, and the PC then comes online there', async () => {
    const { api } = console_.runtime;
    const lab = await api.call('labs.create', { name: 'Phòng máy 7' });
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    expect(enrolment.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(enrolment.consoleUrls[0]).toBe(console_.agentUrl);

    const agentDir = path.join(dataDir, 'agents', 'PC-01');
    const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-01', consoleUrl: console_.agentUrl, code: enrolment.code });
    expect(enrolled.exitCode, enrolled.output).toBe(0);
    const pinned = JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string; consoleFingerprint: string };
    expect(pinned.consoleFingerprint).toBe(console_.runtime.consoleFingerprint);

    const from = console_.events.events.length;
    runAgent({ dataDir: agentDir, hostname: 'PC-01' });
    await console_.events.waitFor(machineReady(pinned.machineId), 15_000, 'PC-01 online and ready', from);
    const [machine] = await api.call('machines.list', { labId: lab.id });
    expect(machine).toMatchObject({ id: pinned.machineId, name: 'PC-01', hostname: 'PC-01', online: true, desktop: 'simulated', remoteAddress: '127.0.0.1' });
    expect((await api.call('labs.list', {})).find((l) => l.id === lab.id)?.machineCount).toBe(1);
    expect(auditActions()).toContain('machine.enrolled');
  });

  it('enrols a PC from an exported enrolment file that pins the console certificate', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    expect(enrolment.file.consoleFingerprint).toBe(console_.runtime.consoleFingerprint);
    const file = path.join(dataDir, 'enrolment.json');
    writeFileSync(file, JSON.stringify(enrolment.file));

    const agentDir = path.join(dataDir, 'agents', 'PC-02');
    const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-02', enrolmentFile: file });
    expect(enrolled.exitCode, enrolled.output).toBe(0);
    const pinned = JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string };
    const defaultLab = (await api.call('labs.list', {})).find((l) => l.name === 'Phòng máy 1')!;
    const machines = await api.call('machines.list', { labId: defaultLab.id });
    expect(machines.map((m) => m.id)).toContain(pinned.machineId);
  });

  it('refuses a wrong code: the PC is told so and cut off, and the agent CLI says so', async () => {
    const raw = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.2' });
    await raw.sendEnrol('AAAA-BBBB-CCCC');
    const error = await raw.next('error');
    expect(error.error.code).toBe('enrolment-rejected');
    expect((await raw.waitClosed()).code).toBe(closeCodes.authFailed);

    const result = await enrolAgent({ dataDir: path.join(dataDir, 'agents', 'WRONG'), hostname: 'WRONG', consoleUrl: console_.agentUrl, code: 'AAAA-BBBB-CCCD' });
    expect(result.exitCode).toBe(5);
    expect(result.output).toMatch(/từ chối mã ghi danh/);
    expect(auditActions()).toContain('enrolment.rejected');
  });

  it('refuses a code that has expired or was revoked', async () => {
    const { api } = console_.runtime;
    const expiring = await api.call('enrolment.create', {});
    const revoked = await api.call('enrolment.create', {});
    // Time passes: the code's expiry is now in the past.
    const db = new BetterSqlite3(path.join(dataDir, 'safelab.sqlite'));
    db.prepare('UPDATE enrolments SET expires_at = ? WHERE id = ?').run(Date.now() - 1, expiring.id);
    db.close();
    expect(await api.call('enrolment.revoke', { enrolmentId: revoked.id })).toEqual({ revoked: true });
    const active = (await api.call('enrolment.active', {})).map((e) => e.id);
    expect(active).not.toContain(expiring.id);
    expect(active).not.toContain(revoked.id);

    for (const code of [expiring.code, revoked.code]) {
      const raw = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.3' });
      await raw.sendEnrol(code);
      expect((await raw.next('error')).error.code).toBe('enrolment-rejected');
      expect((await raw.waitClosed()).code).toBe(closeCodes.authFailed);
    }
  });

  it('refuses an enrolment proved over another certificate (a man in the middle)', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const raw = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.4' });
    await raw.sendEnrol(enrolment.code, { fingerprint: 'AA:'.repeat(31) + 'AA' });
    expect((await raw.next('error')).error.code).toBe('enrolment-rejected');
    expect((await raw.waitClosed()).code).toBe(closeCodes.authFailed);
  });

  it('stops an address that keeps guessing codes, while other PCs still enrol', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    for (let attempt = 0; attempt < 5; attempt++) {
      const guesser = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.9' });
      await guesser.sendEnrol(`ZZZZ-ZZZZ-ZZZ${attempt}`);
      expect((await guesser.waitClosed()).code).toBe(closeCodes.authFailed);
    }
    // Even the right code is refused from that address now: guessing cannot be confirmed.
    const limited = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.9' });
    await limited.sendEnrol(enrolment.code);
    expect((await limited.next('error')).error.code).toBe('enrolment-rate-limited');
    expect((await limited.waitClosed()).code).toBe(closeCodes.rateLimited);

    const other = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-10', { localAddress: '127.0.0.10' });
    expect(other.machineId).toBe(await machineIdFromPublicKey(other.keyPair.publicKey));
  });

  it('counts parallel guesses from one address: only the first few are even checked', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const guesses = 40;
    // Every guess is ready before any socket opens, so all of them reach the console together.
    const messages = await enrolMessages('QQQQ-QQQQ-QQQQ', guesses, 'GUESS');
    const guessers = await Promise.all(messages.map(() => RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.11' })));
    guessers.forEach((guesser, i) => guesser.send(messages[i]!));
    const codes = await Promise.all(guessers.map(async (guesser) => (await guesser.next('error', 10_000)).error.code));
    const closes = await Promise.all(guessers.map(async (guesser) => (await guesser.waitClosed(10_000)).code));

    expect(codes.filter((c) => c === 'enrolment-rejected')).toHaveLength(enrolFailuresPerAddress);
    expect(codes.filter((c) => c === 'enrolment-rate-limited')).toHaveLength(guesses - enrolFailuresPerAddress);
    expect(closes.filter((c) => c === closeCodes.rateLimited)).toHaveLength(guesses - enrolFailuresPerAddress);
    // The right code from that address is refused too; another address enrols as usual.
    const limited = await RawAgent.connect(console_.agentUrl, { localAddress: '127.0.0.11' });
    await limited.sendEnrol(enrolment.code);
    expect((await limited.next('error')).error.code).toBe('enrolment-rate-limited');
    const other = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-11', { localAddress: '127.0.0.12' });
    expect(other.machineId).toBe(await machineIdFromPublicKey(other.keyPair.publicKey));
  });

  it('lets more PCs than the overall failure limit enrol at the same moment', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const pcs = enrolFailuresOverall + 5;
    const messages = await enrolMessages(enrolment.code, pcs, 'BURST');
    const agents = await Promise.all(messages.map((_, i) => RawAgent.connect(console_.agentUrl, { localAddress: `127.0.1.${i + 1}` })));
    agents.forEach((agent, i) => agent.send(messages[i]!));
    const enrolled = await Promise.all(agents.map((agent) => agent.next('enrolled', 10_000)));
    expect(new Set(enrolled.map((e) => e.machineId)).size).toBe(pcs);
  });
});

describe('authentication', { timeout: 60_000 }, () => {
  it('refuses a PC that was never enrolled', async () => {
    const keyPair = await generateAgentKeyPair();
    const raw = await RawAgent.connect(console_.agentUrl);
    raw.send(await raw.authMessage(await machineIdFromPublicKey(keyPair.publicKey), keyPair.privateKey));
    expect((await raw.next('error')).error.code).toBe('not-enrolled');
    expect((await raw.waitClosed()).code).toBe(closeCodes.authFailed);
  });

  it('refuses an auth message replayed from an earlier connection', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-REPLAY');

    const first = await RawAgent.connect(console_.agentUrl);
    const recorded = await first.authMessage(machine.machineId, machine.keyPair.privateKey);
    first.send(recorded);
    expect((await first.next('welcome')).machineId).toBe(machine.machineId);
    first.close();
    await first.waitClosed();

    const replay = await RawAgent.connect(console_.agentUrl);
    replay.send(recorded);
    expect((await replay.next('error')).error.code).toBe('auth-failed');
    expect((await replay.waitClosed()).code).toBe(closeCodes.authFailed);
  });

  it('refuses a signature made with another key for a known machine', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-IMPOSTOR');
    const impostor = await generateAgentKeyPair();
    const raw = await RawAgent.connect(console_.agentUrl);
    raw.send(await raw.authMessage(machine.machineId, impostor.privateKey));
    expect((await raw.next('error')).error.code).toBe('auth-failed');
    expect((await raw.waitClosed()).code).toBe(closeCodes.authFailed);
  });

  it('hangs up on a connection that does not finish the handshake in time', async () => {
    const raw = await RawAgent.connect(console_.agentUrl);
    await raw.next('challenge');
    expect((await raw.next('error', 3000)).error.code).toBe('handshake-timeout');
    expect((await raw.waitClosed()).code).toBe(closeCodes.handshakeTimeout);
  });

  it('disconnects a removed machine at once and never lets its key back in', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-REMOVED');
    const raw = await connectRawMachine(console_.agentUrl, machine);
    await console_.events.waitFor(machineOnline(machine.machineId), 5000, 'the raw machine online', 0);

    expect(await api.call('machines.remove', { machineId: machine.machineId })).toEqual({ removed: true });
    expect((await raw.next('error')).error.code).toBe('revoked');
    expect((await raw.waitClosed()).code).toBe(closeCodes.revoked);
    expect((await api.call('machines.list', {})).map((m) => m.id)).not.toContain(machine.machineId);

    const again = await RawAgent.connect(console_.agentUrl);
    again.send(await again.authMessage(machine.machineId, machine.keyPair.privateKey));
    expect((await again.next('error')).error.code).toBe('revoked');
    expect((await again.waitClosed()).code).toBe(closeCodes.revoked);
    expect(auditActions()).toContain('machine.removed');
  });

  it('stops a real agent that was removed, with its "removed" exit code', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', {});
    const agentDir = path.join(dataDir, 'agents', 'PC-GONE');
    expect((await enrolAgent({ dataDir: agentDir, hostname: 'PC-GONE', consoleUrl: console_.agentUrl, code: enrolment.code })).exitCode).toBe(0);
    const { machineId } = JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string };
    const from = console_.events.events.length;
    const agent = runAgent({ dataDir: agentDir, hostname: 'PC-GONE' });
    await console_.events.waitFor(machineOnline(machineId), 15_000, 'PC-GONE online', from);
    await api.call('machines.remove', { machineId });
    expect(await agent.exited(10_000)).toBe(4);
  });
});

describe('enrolment codes at rest', { timeout: 30_000 }, () => {
  it('wipes a code when it is revoked, and an expired one at the next housekeeping tick', async () => {
    const dir = tempDataDir('enrolment-wipe');
    const quick = await startTestConsole({ dataDir: dir, heartbeatIntervalMs: 100 });
    try {
      const { api } = quick.runtime;
      const revoked = await api.call('enrolment.create', {});
      const expiring = await api.call('enrolment.create', {});
      const kept = await api.call('enrolment.create', {});
      await api.call('enrolment.revoke', { enrolmentId: revoked.id });
      const db = new BetterSqlite3(path.join(dir, 'safelab.sqlite'));
      try {
        const row = (id: string) => db.prepare<[string], { code: string; derived_key: string | null }>('SELECT code, derived_key FROM enrolments WHERE id = ?').get(id)!;
        expect(row(revoked.id)).toEqual({ code: '', derived_key: null });
        // Time passes for one code: its expiry is now in the past. Nobody creates a new code.
        db.prepare('UPDATE enrolments SET expires_at = ? WHERE id = ?').run(Date.now() - 1, expiring.id);
        await quick.log.waitFor(/wiped the codes of 1 expired enrolment/, 5000);
        expect(row(expiring.id)).toEqual({ code: '', derived_key: null });
        expect(row(kept.id).code).toBe(kept.code);
      } finally {
        db.close();
      }
    } finally {
      await quick.close();
      removeDir(dir);
    }
  });
});
