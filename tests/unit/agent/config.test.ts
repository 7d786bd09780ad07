// The agent's files: atomic writes that survive a crash, clear errors for damaged files, a key
// only its owner can read, and a damaged state file that never stops the agent.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Lets a test make the rename of an atomic write "crash": the temp file is fully written, then
// the process dies before renaming it over the target.
const crash = vi.hoisted(() => ({ beforeRename: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    renameSync: (from: string, to: string) => {
      if (crash.beforeRename) throw new Error('simulated crash before rename');
      return fs.renameSync(from, to);
    },
  };
});

const { sweepTempFiles, writeFileAtomic } = await import('../../../src/agent/atomic-file.js');
const config = await import('../../../src/agent/config.js');
const { generateAgentKeyPair } = await import('../../../src/shared/auth/enrolment.js');

const fingerprint = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');
const sampleConfig = (machineId: string): import('../../../src/agent/config.js').AgentConfig => ({
  format: 'safelab-agent',
  version: 1,
  machineId,
  consoleUrl: 'wss://10.0.0.2:47100/agent',
  consoleFingerprint: fingerprint,
  publicKey: 'MCowBQYDK2VwAyEA',
  enrolledAt: 1,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'safelab-agent-config-'));
  crash.beforeRename = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('agent files', () => {
  it('keeps the previous agent.json intact when a write crashes before its rename', () => {
    config.writeAgentConfig(dir, sampleConfig('m-00000000aaaa'));
    crash.beforeRename = true;
    expect(() => config.writeAgentConfig(dir, sampleConfig('m-00000000bbbb'))).toThrow(/simulated crash/);
    crash.beforeRename = false;
    // The crash left a complete temp file behind; readers ignore it.
    expect(readdirSync(dir).some((name) => name.includes('.tmp-'))).toBe(true);
    expect(config.readAgentConfig(dir)?.machineId).toBe('m-00000000aaaa');
  });

  it('ignores a half-written temp file from a crashed process and sweeps it at start', () => {
    config.writeAgentConfig(dir, sampleConfig('m-00000000aaaa'));
    writeFileSync(join(dir, 'agent.json.tmp-999999-deadbeef'), '{"format":"safelab-ag');
    expect(config.readAgentConfig(dir)?.machineId).toBe('m-00000000aaaa');
    expect(sweepTempFiles(dir)).toEqual(['agent.json.tmp-999999-deadbeef']);
    expect(readdirSync(dir)).toEqual(['agent.json']);
  });

  it('replaces the content whole', () => {
    writeFileAtomic(join(dir, 'x.json'), 'first');
    writeFileAtomic(join(dir, 'x.json'), 'second');
    expect(readFileSync(join(dir, 'x.json'), 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['x.json']);
  });

  it('reports a damaged agent.json with its path and reason', () => {
    writeFileSync(join(dir, 'agent.json'), '{"format": "safelab-agent",');
    expect(() => config.readAgentConfig(dir)).toThrow(config.AgentFileError);
    try {
      config.readAgentConfig(dir);
    } catch (error) {
      expect(error).toMatchObject({ code: 'config-corrupt', path: join(dir, 'agent.json'), reason: 'not valid JSON' });
    }
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ ...sampleConfig('m-00000000aaaa'), consoleFingerprint: 'nope' }));
    expect(() => config.readAgentConfig(dir)).toThrow(/consoleFingerprint/);
  });

  it('treats a missing agent.json as not enrolled', () => {
    expect(config.readAgentConfig(dir)).toBeNull();
  });

  it('writes the private key readable only by its owner and reads it back', async () => {
    const keys = await generateAgentKeyPair();
    config.writeAgentKey(dir, keys.privateKey);
    expect(statSync(join(dir, 'agent.key')).mode & 0o777).toBe(0o600);
    expect(config.readAgentKey(dir)).toBe(keys.privateKey);
    writeFileSync(join(dir, 'agent.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(() => config.readAgentKey(dir)).toThrow(config.AgentFileError);
  });

  it('moves a damaged state.json aside and starts unlocked instead of refusing to run', () => {
    writeFileSync(join(dir, 'state.json'), '{"locked": tru');
    const read = config.readAgentState(dir, { now: 42 });
    expect(read.state).toEqual(config.initialState);
    expect(read.problem).toMatchObject({ reason: 'not valid JSON', movedTo: join(dir, 'state.json.corrupt-42') });
    expect(existsSync(join(dir, 'state.json.corrupt-42'))).toBe(true);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  it('round-trips the lock and lesson state', async () => {
    const state = { locked: true, lockMessage: 'Nhìn lên bảng', lesson: { active: true, lessonId: 'l1', language: 'vi' as const }, savedAt: 5 };
    await config.writeAgentStateText(dir, config.agentStateText(state));
    expect(config.readAgentState(dir).state).toEqual(state);
    expect(config.toAgentState(state)).toEqual({ locked: true, lockMessage: 'Nhìn lên bảng', lessonActive: true });
  });

  it('picks the per-machine data folder by platform, with the environment overriding it', () => {
    expect(config.defaultAgentDataDir({}, 'linux', true)).toBe('/var/lib/safelab-agent');
    expect(config.defaultAgentDataDir({ XDG_DATA_HOME: '/x' }, 'linux', false)).toBe(join('/x', 'safelab-agent'));
    expect(config.defaultAgentDataDir({ ProgramData: 'D:\\PD' }, 'win32', true)).toContain('SafeLab');
    expect(config.resolveAgentDataDir(undefined, { SAFELAB_AGENT_DATA_DIR: '/env' })).toBe('/env');
    expect(config.resolveAgentDataDir('/flag', { SAFELAB_AGENT_DATA_DIR: '/env' })).toBe('/flag');
  });
});
