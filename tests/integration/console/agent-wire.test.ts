// The agent hub under bad input: malformed, unknown, oversized and unexpected frames, replaced
// connections and silent peers. Each is answered with an error and logged, the offender is hung
// up on, and well-behaved agents carry on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCodes } from '../../../src/shared/protocol/errors.js';
import { encodeThumbnailFrame } from '../../../src/shared/protocol/frame.js';
import { maxWebSocketPayloadBytes } from '../../../src/shared/protocol/limits.js';
import { machineOnline, machineReady } from '../helpers/console-api.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { connectRawMachine, enrolRawMachine, RawAgent, type RawMachine } from '../helpers/raw-agent.js';
import { enrolAgent, runAgent } from '../helpers/real-agent.js';

let dataDir: string;
let console_: TestConsole;
let goodMachineId: string;
let raw: RawMachine[];

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('wire');
  console_ = await startTestConsole({ dataDir, heartbeatIntervalMs: 250 });
  const { api } = console_.runtime;
  const enrolment = await api.call('enrolment.create', {});
  // One well-behaved real agent that must not notice any of the abuse below.
  const agentDir = path.join(dataDir, 'agents', 'PC-GOOD');
  const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-GOOD', consoleUrl: console_.agentUrl, code: enrolment.code });
  expect(enrolled.exitCode, enrolled.output).toBe(0);
  goodMachineId = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
  runAgent({ dataDir: agentDir, hostname: 'PC-GOOD' });
  raw = [];
  for (let i = 0; i < 5; i++) raw.push(await enrolRawMachine(console_.agentUrl, enrolment.code, `PC-RAW-${i}`));
  await console_.events.waitFor(machineReady(goodMachineId), 15_000, 'PC-GOOD ready', 0);
});

afterAll(async () => {
  await stopAllChildren();
  await console_?.close();
  removeDir(dataDir);
});

describe('agent wire robustness', { timeout: 60_000 }, () => {
  it('answers malformed JSON during the handshake with an error, logs it and hangs up', async () => {
    const agent = await RawAgent.connect(console_.agentUrl);
    await agent.next('challenge');
    const logFrom = console_.log.lines.length;
    agent.sendText('{"type":"auth", nope');
    expect((await agent.next('error')).error.code).toBe('message-malformed');
    expect((await agent.waitClosed()).code).toBe(closeCodes.protocolError);
    await console_.log.waitFor(/message-malformed/, 2000, logFrom);
  });

  it('hangs up on a message of unknown type or on a binary frame before authentication', async () => {
    const unknown = await RawAgent.connect(console_.agentUrl);
    unknown.sendText(JSON.stringify({ type: 'teleport', to: 'admin' }));
    expect((await unknown.next('error')).error.code).toBe('message-unknown-type');
    expect((await unknown.waitClosed()).code).toBe(closeCodes.protocolError);

    const binary = await RawAgent.connect(console_.agentUrl);
    binary.sendBinary(new Uint8Array([1, 2, 3]));
    expect((await binary.waitClosed()).code).toBe(closeCodes.protocolError);

    const early = await RawAgent.connect(console_.agentUrl);
    early.sendText(JSON.stringify({ type: 'session', session: { user: 'x', screens: [] } }));
    expect((await early.next('error')).error.code).toBe('message-invalid');
    expect((await early.waitClosed()).code).toBe(closeCodes.protocolError);
  });

  it('after authentication answers each bad message with an error and hangs up after repeated abuse', async () => {
    const agent = await connectRawMachine(console_.agentUrl, raw[0]!);
    const logFrom = console_.log.lines.length;
    agent.sendText('not json at all');
    expect((await agent.next('error')).error.code).toBe('message-malformed');
    agent.sendText(JSON.stringify({ type: 'selfDestruct' }));
    expect((await agent.next('error')).error.code).toBe('message-unknown-type');
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    agent.sendText(JSON.stringify({ type: 'ack', id: 'x', ok: 'yes' }));
    expect((await agent.next('error')).error.code).toBe('message-invalid');
    expect((await agent.waitClosed()).code).toBe(closeCodes.protocolError);
    await console_.log.waitFor(/message-unknown-type.*strike 2\/3/, 2000, logFrom);
  });

  it('cuts off an oversized frame without disturbing other agents', async () => {
    const agent = await connectRawMachine(console_.agentUrl, raw[1]!);
    agent.sendBinary(new Uint8Array(maxWebSocketPayloadBytes + 1));
    expect((await agent.waitClosed()).code).toBe(1009); // ws: message too big
    await console_.events.waitFor(machineOnline(raw[1]!.machineId, false), 5000, 'the oversized sender offline', 0);
    const outcome = await console_.runtime.api.call('commands.run', { machineIds: [goodMachineId], command: { name: 'unlock' } });
    expect(outcome.results).toEqual([{ machineId: goodMachineId, name: 'PC-GOOD', status: 'done' }]);
  });

  it('refuses a thumbnail frame that nobody asked for', async () => {
    const agent = await connectRawMachine(console_.agentUrl, raw[2]!);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    agent.sendBinary(encodeThumbnailFrame({ requestId: 77, width: 10, height: 10, screen: 255, capturedAt: Date.now() }, jpeg));
    expect((await agent.next('error')).error.code).toBe('frame-unexpected');
    agent.sendBinary(new Uint8Array(40)); // no magic
    expect((await agent.next('error')).error.code).toBe('frame-malformed');
    agent.close();
  });

  it('lets a newer connection of the same machine replace the older one', async () => {
    const older = await connectRawMachine(console_.agentUrl, raw[3]!);
    const newer = await connectRawMachine(console_.agentUrl, raw[3]!);
    expect((await older.waitClosed()).code).toBe(closeCodes.replaced);
    const machines = await console_.runtime.api.call('machines.list', {});
    expect(machines.find((m) => m.id === raw[3]!.machineId)?.online).toBe(true);
    expect(newer.ws.readyState).toBe(newer.ws.OPEN);
    newer.close();
  });

  it('drops a PC that stops answering heartbeats and shows it offline', async () => {
    const from = console_.events.events.length;
    const hung = await connectRawMachine(console_.agentUrl, raw[4]!, { noPong: true });
    await console_.events.waitFor(machineOnline(raw[4]!.machineId, false), 5000, 'the hung PC offline', from);
    expect((await hung.waitClosed()).code).toBe(1006); // terminated, no closing handshake
  });

  it('kept serving the well-behaved agent through all of the above', async () => {
    const { api } = console_.runtime;
    const locked = await api.call('commands.run', { machineIds: [goodMachineId], command: { name: 'lock', message: 'Kiểm tra' } });
    expect(locked.results[0]!.status).toBe('done');
    const machine = (await api.call('machines.list', {})).find((m) => m.id === goodMachineId)!;
    expect(machine.online).toBe(true);
    expect(machine.state).toMatchObject({ locked: true, lockMessage: 'Kiểm tra' });
  });
});
