// Teacher commands across many PCs: each PC's result (done, failed with the agent's reason,
// timeout, disconnected, offline), the machine state the acks report, and inventory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../src/shared/api/contract.js';
import { machineReady } from '../helpers/console-api.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { startMuteAgent } from '../helpers/mute-agent.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { connectRawMachine, enrolRawMachine } from '../helpers/raw-agent.js';
import { enrolAgent, runAgent } from '../helpers/real-agent.js';

const commandTimeoutMs = 1500;
let dataDir: string;
let console_: TestConsole;
let lab: Lab;
const ids: string[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('commands');
  console_ = await startTestConsole({ dataDir, commandTimeoutMs });
  const { api } = console_.runtime;
  lab = await api.call('labs.create', { name: 'Phòng Tin học A' });
  const enrolment = await api.call('enrolment.create', { labId: lab.id });
  for (const name of ['PC-01', 'PC-02', 'PC-03']) {
    const agentDir = path.join(dataDir, 'agents', name);
    const result = await enrolAgent({ dataDir: agentDir, hostname: name, consoleUrl: console_.agentUrl, code: enrolment.code });
    expect(result.exitCode, result.output).toBe(0);
    ids.push((JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId);
    runAgent({ dataDir: agentDir, hostname: name });
  }
  for (const id of ids) await console_.events.waitFor(machineReady(id), 20_000, `${id} ready`, 0);
});

afterAll(async () => {
  await stopAllChildren();
  await console_?.close();
  removeDir(dataDir);
});

describe('commands', { timeout: 60_000 }, () => {
  it('locks every PC of the lab within one round trip, and unlocks them', async () => {
    const { api } = console_.runtime;
    const machines = await api.call('machines.list', { labId: lab.id });
    expect(machines).toHaveLength(3);
    const from = console_.events.events.length;
    const locked = await api.call('commands.run', { machineIds: machines.map((m) => m.id), command: { name: 'lock', message: 'Nhìn lên bảng' } });
    expect(locked.command).toBe('lock');
    expect(locked.results.map((r) => [r.name, r.status]).sort()).toEqual([
      ['PC-01', 'done'],
      ['PC-02', 'done'],
      ['PC-03', 'done'],
    ]);
    const finished = await console_.events.waitFor((e) => e.type === 'command.finished', 1000, 'command.finished', from);
    expect(finished).toMatchObject({ outcome: { commandId: locked.commandId } });
    for (const machine of await api.call('machines.list', { labId: lab.id })) {
      expect(machine.state).toMatchObject({ locked: true, lockMessage: 'Nhìn lên bảng' });
    }

    const unlocked = await api.call('commands.run', { machineIds: ids, command: { name: 'unlock' } });
    expect(unlocked.results.every((r) => r.status === 'done')).toBe(true);
    for (const machine of await api.call('machines.list', { labId: lab.id })) expect(machine.state.locked).toBe(false);
  });

  it('shows a message on the chosen PCs only', async () => {
    const outcome = await console_.runtime.api.call('commands.run', { machineIds: [ids[0]!, ids[1]!], command: { name: 'showMessage', text: 'Lưu bài trước khi hết giờ' } });
    expect(outcome.results.map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('reports a PC that is switched off as offline and an unknown id as not found', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    const off = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-OFF');
    const outcome = await api.call('commands.run', { machineIds: [ids[0]!, off.machineId, 'm-000000000000000000000000'], command: { name: 'lock', message: '' } });
    expect(outcome.results).toEqual([
      { machineId: ids[0], name: 'PC-01', status: 'done' },
      { machineId: off.machineId, name: 'PC-OFF', status: 'offline' },
      { machineId: 'm-000000000000000000000000', name: 'm-000000000000000000000000', status: 'failed', reason: 'not-found' },
    ]);
    await api.call('commands.run', { machineIds: [ids[0]!], command: { name: 'unlock' } });
  });

  it('passes on the code an agent gives for refusing a command, with its own words as detail', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-NOLOCK');
    const agent = await connectRawMachine(console_.agentUrl, machine);
    const pending = api.call('commands.run', { machineIds: [machine.machineId], command: { name: 'lock', message: 'x' } });
    const command = await agent.next('command');
    agent.send({ type: 'ack', id: command.id, ok: false, error: { code: 'command-failed', message: 'lock overlay unavailable' }, state: { locked: false, lessonActive: false } });
    expect((await pending).results[0]).toMatchObject({ status: 'failed', reason: 'command-failed', detail: 'lock overlay unavailable' });
    agent.close();
  });

  it('reports a PC that never answers as failed: timeout', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-HUNG');
    const mute = await startMuteAgent(console_.agentUrl, machine);
    const outcome = await api.call('commands.run', { machineIds: [ids[0]!, machine.machineId], command: { name: 'unlock' } });
    expect(outcome.results.map((r) => [r.name, r.status, r.reason])).toEqual([
      ['PC-01', 'done', undefined],
      ['PC-HUNG', 'failed', 'timeout'],
    ]);
    await mute.stop();
  });

  it('reports a PC killed mid-command as failed: disconnected, without waiting for the timeout', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'PC-DIES');
    const mute = await startMuteAgent(console_.agentUrl, machine);
    const pending = api.call('commands.run', { machineIds: [machine.machineId], command: { name: 'lock', message: 'x' } });
    await mute.log.waitFor(/^command /, 5000);
    await mute.kill();
    const outcome = await pending;
    expect(outcome.results[0]).toMatchObject({ name: 'PC-DIES', status: 'failed', reason: 'disconnected' });
  });

  it('refreshes and returns a PC’s inventory, and keeps it for when the PC is off', async () => {
    const { api } = console_.runtime;
    const inventory = await api.call('machines.inventory', { machineId: ids[2]!, refresh: true });
    expect(inventory?.cpu.cores).toBeGreaterThan(0);
    expect(inventory?.os.platform).toBe(process.platform);
    const stored = await api.call('machines.inventory', { machineId: ids[2]! });
    expect(stored?.gatheredAt).toBe(inventory?.gatheredAt);
  });
});
