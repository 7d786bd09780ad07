// The agent CLI `run` with the simulated desktop against a stand-in console over real TLS
// websockets: handshake and hello, commands, thumbnails, bad input, restarts and pinning.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateAgentKeyPair, machineIdFromPublicKey } from '../../../src/shared/auth/enrolment.js';
import { closeCodes } from '../../../src/shared/protocol/errors.js';
import { decodeThumbnailFrame } from '../../../src/shared/protocol/frame.js';
import type { AgentMessage } from '../../../src/shared/protocol/messages.js';
import { agentStateFileName, writeAgentConfig, writeAgentKey } from '../../../src/agent/config.js';
import { AgentProcess, assertAgentBuilt, killAllAgents, repoRoot } from './agent-process.js';
import { makeCertificate, TestConsole, waitFor, type AgentSocket, type TestCertificate } from './test-console.js';

const folders: string[] = [];
const consoles: TestConsole[] = [];
let certificate: TestCertificate;

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'safelab-agent-run-'));
  folders.push(dir);
  return dir;
}

async function startConsole(options: Partial<ConstructorParameters<typeof TestConsole>[0]> = {}, port = 0): Promise<TestConsole> {
  const console = new TestConsole({ certificate, ...options });
  consoles.push(console);
  await console.listen(port);
  return console;
}

/** Enrols a data folder with `console` directly (the CLI enrolment has its own tests). */
async function enrolDirectly(console: TestConsole, dataDir: string): Promise<string> {
  const keys = await generateAgentKeyPair();
  const machineId = await machineIdFromPublicKey(keys.publicKey);
  console.machines.set(machineId, keys.publicKey);
  writeAgentKey(dataDir, keys.privateKey);
  writeAgentConfig(dataDir, {
    format: 'safelab-agent',
    version: 1,
    machineId,
    consoleUrl: console.url,
    consoleFingerprint: console.fingerprint,
    publicKey: keys.publicKey,
    enrolledAt: Date.now(),
  });
  return machineId;
}

/** Whether the agent's state.json (written atomically, so never half) records a lock. */
function readLockedState(dataDir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dataDir, agentStateFileName), 'utf8')) as { locked?: boolean }).locked === true;
  } catch {
    return false;
  }
}

function startAgent(dataDir: string, ...extra: string[]): AgentProcess {
  return new AgentProcess(['run', '--platform', 'simulated', '--data-dir', dataDir, ...extra]);
}

function messagesOf<T extends AgentMessage['type']>(socket: AgentSocket, type: T): Extract<AgentMessage, { type: T }>[] {
  return socket.messages.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
}

async function helloOn(console: TestConsole, after = 0): Promise<{ socket: AgentSocket; hello: Extract<AgentMessage, { type: 'hello' }> }> {
  return waitFor(() => {
    const socket = console.live;
    if (!socket || socket.index < after) return undefined;
    const hello = messagesOf(socket, 'hello')[0];
    return hello ? { socket, hello } : undefined;
  }, 'hello');
}

async function meanBrightness(jpeg: Uint8Array): Promise<number> {
  const stats = await sharp(jpeg).stats();
  return stats.channels.slice(0, 3).reduce((n, c) => n + c.mean, 0) / 3;
}

async function thumbnail(console: TestConsole, socket: AgentSocket, requestId: number, width = 320) {
  const before = socket.frames.length;
  console.send(socket, { type: 'thumbnail', requestId, width, quality: 60, screen: 0 });
  const raw = await waitFor(() => socket.frames.slice(before).find((f) => decodeThumbnailFrame(f).requestId === requestId), `frame ${requestId}`);
  return decodeThumbnailFrame(raw);
}

const lesson7A = { active: true, lessonId: 'l-7a', className: '7A', language: 'vi' as const };

beforeAll(async () => {
  assertAgentBuilt();
  certificate = await makeCertificate();
});

afterAll(async () => {
  await killAllAgents();
  for (const console of consoles) await console.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('a running agent', () => {
  let console: TestConsole;
  let agent: AgentProcess;
  let socket: AgentSocket;
  let hello: Extract<AgentMessage, { type: 'hello' }>;
  let dataDir: string;
  let machineId: string;

  beforeAll(async () => {
    console = await startConsole({ lesson: { active: true, lessonId: 'l-1', className: '7A1', language: 'vi' } });
    dataDir = newDataDir();
    machineId = await enrolDirectly(console, dataDir);
    agent = startAgent(dataDir, '--hostname', 'lab1-pc07');
    ({ socket, hello } = await helloOn(console));
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('authenticates and says hello with its identity, session, state and capabilities', () => {
    const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
    expect(socket.machineId).toBe(machineId);
    expect(socket.messages[0]?.type).toBe('auth');
    expect(hello.identity).toMatchObject({ hostname: 'lab1-pc07', agentVersion: version, desktop: 'simulated', os: { platform: process.platform } });
    expect(hello.session.user).toBe('hs07');
    expect(hello.session.screens).toEqual([expect.objectContaining({ width: 1366, height: 768, primary: true })]);
    expect(hello.state).toEqual({ locked: false, lessonActive: true });
    expect(hello.capabilities).toEqual(expect.arrayContaining(['screen-lock', 'message', 'thumbnails', 'inventory']));
  });

  it('sends its inventory, with network adapters for wake-on-LAN, after hello', async () => {
    const inventory = await waitFor(() => messagesOf(socket, 'inventory')[0], 'inventory', 20_000);
    expect(socket.messages.findIndex((m) => m.type === 'inventory')).toBeGreaterThan(socket.messages.findIndex((m) => m.type === 'hello'));
    expect(inventory.inventory.memoryBytes).toBeGreaterThan(0);
    expect(inventory.inventory.networkAdapters.length).toBeGreaterThan(0);
    expect(inventory.inventory.networkAdapters[0]!.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i);
  });

  // Linux only: the check reads the process's memory map.
  it.runIf(process.platform === 'linux')('maps the image library only once a picture is asked for', async () => {
    const imageLibraryMapped = (): boolean => readFileSync(`/proc/${agent.pid}/maps`, 'utf8').includes('libvips');
    await waitFor(() => messagesOf(socket, 'inventory')[0], 'inventory', 20_000);
    expect(imageLibraryMapped()).toBe(false);
    await thumbnail(console, socket, 6, 160);
    expect(imageLibraryMapped()).toBe(true);
  });

  it('answers a thumbnail request with one frame carrying its request id and a JPEG of that width', async () => {
    const frame = await thumbnail(console, socket, 7, 320);
    expect(frame).toMatchObject({ requestId: 7, width: 320, height: 180, screen: 0 });
    const meta = await sharp(frame.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 180 });
  });

  it('locks on command, acknowledges each command id once and persists the lock', async () => {
    console.send(socket, { type: 'command', id: 'cmd-lock-1', command: { name: 'lock', message: 'Nhìn lên bảng nhé' } });
    const ack = await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'cmd-lock-1'), 'lock ack');
    expect(ack).toEqual({ type: 'ack', id: 'cmd-lock-1', ok: true, state: { locked: true, lockMessage: 'Nhìn lên bảng nhé', lessonActive: true } });
    const saved = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    expect(saved).toMatchObject({ locked: true, lockMessage: 'Nhìn lên bảng nhé' });

    // Unlock, then the console repeats the old lock id: the same ack comes back, nothing re-runs.
    console.send(socket, { type: 'command', id: 'cmd-unlock-1', command: { name: 'unlock' } });
    await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'cmd-unlock-1'), 'unlock ack');
    console.send(socket, { type: 'command', id: 'cmd-lock-1', command: { name: 'lock', message: 'Nhìn lên bảng nhé' } });
    await waitFor(() => messagesOf(socket, 'ack').filter((a) => a.id === 'cmd-lock-1').length === 2, 'repeated ack');
    const acks = messagesOf(socket, 'ack').filter((a) => a.id === 'cmd-lock-1');
    expect(acks[1]).toEqual(acks[0]);
    expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).locked).toBe(false);
    expect(agent.countLog(/ locked restored=false/)).toBe(1);
  });

  it('never runs two captures at once: a burst of requests gets busy answers, not a queue', async () => {
    const before = socket.frames.length;
    const errorsBefore = messagesOf(socket, 'thumbnailError').length;
    const ids = [101, 102, 103, 104, 105];
    // Different widths so no answer can come from the one-image cache.
    ids.forEach((requestId, i) => console.send(socket, { type: 'thumbnail', requestId, width: 300 + i * 10, quality: 50, screen: 'all' }));
    await waitFor(() => socket.frames.length - before + messagesOf(socket, 'thumbnailError').length - errorsBefore === ids.length, 'an answer for every request');
    const frames = socket.frames.slice(before).map((f) => decodeThumbnailFrame(f));
    const busy = messagesOf(socket, 'thumbnailError').slice(errorsBefore);
    expect(frames.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(busy.every((e) => e.error.code === 'busy')).toBe(true);
    expect([...frames.map((f) => f.requestId), ...busy.map((e) => e.requestId)].sort()).toEqual(ids);
    expect(frames[0]!.screen).toBe(255);
  });

  it('answers malformed console messages with an error and keeps working', async () => {
    const errorsBefore = messagesOf(socket, 'error').length;
    console.sendRaw(socket, '{not json');
    console.sendRaw(socket, JSON.stringify({ type: 'command', id: 'x', command: { name: 'formatDisk' } }));
    console.sendRaw(socket, JSON.stringify({ type: 'launchMissiles' }));
    console.sendRaw(socket, new Uint8Array([1, 2, 3]));
    await waitFor(() => messagesOf(socket, 'error').length - errorsBefore === 4, 'four error answers');
    expect(messagesOf(socket, 'error').slice(errorsBefore).map((e) => e.error.code)).toEqual([
      'message-malformed',
      'message-invalid',
      'message-unknown-type',
      'frame-unexpected',
    ]);
    const frame = await thumbnail(console, socket, 9, 200);
    expect(frame.width).toBe(200);
    expect(agent.exitCode).toBeNull();
  });

  it('shows a teacher message and switches the monitoring indicator on command', async () => {
    console.send(socket, { type: 'command', id: 'cmd-msg', command: { name: 'showMessage', text: 'Lưu bài trước khi hết giờ' } });
    console.send(socket, { type: 'command', id: 'cmd-lesson', command: { name: 'setLesson', lesson: { active: false, language: 'en' } } });
    const ack = await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'cmd-lesson'), 'lesson ack');
    expect(messagesOf(socket, 'ack').find((a) => a.id === 'cmd-msg')?.ok).toBe(true);
    expect(ack.state.lessonActive).toBe(false);
    expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).lesson).toEqual({ active: false, language: 'en' });
  });
  it('stops cleanly on SIGTERM, saying goodbye to the console with a normal close', async () => {
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await agent.waitForExit()).toBe(0);
    expect(await closed).toBe(1000);
    expect(agent.stderr).toMatch(/ stopping signal=SIGTERM/);
  });
});

describe('an agent whose console goes away', () => {
  afterEach(async () => {
    await killAllAgents();
  });

  it('keeps a lock across an agent restart, enforcing it before the console is back', async () => {
    // A lesson runs, so the screen may be pictured to show the lock (and it survives the restart).
    const console = await startConsole({ lesson: lesson7A });
    const dataDir = newDataDir();
    await enrolDirectly(console, dataDir);
    let agent = startAgent(dataDir);
    let { socket } = await helloOn(console);
    const unlocked = await thumbnail(console, socket, 1);
    console.send(socket, { type: 'command', id: 'lock-1', command: { name: 'lock', message: 'Giờ kiểm tra' } });
    await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'lock-1'), 'lock ack');
    // The ack means the lock is on screen; the state file follows off the event loop, in order.
    await waitFor(() => readLockedState(dataDir), 'state.json recording the lock');

    // The agent is killed and the console is down when it comes back.
    agent.kill('SIGKILL');
    await agent.exited;
    const port = console.port;
    await console.close();
    agent = startAgent(dataDir);
    await agent.waitForLog(/ locked restored=true/);
    await agent.waitForLog(/ reconnecting /);

    const again = await startConsole({ code: null, lesson: lesson7A }, port);
    for (const [id, key] of console.machines) again.machines.set(id, key);
    const second = await helloOn(again);
    socket = second.socket;
    expect(second.hello.state).toEqual({ locked: true, lockMessage: 'Giờ kiểm tra', lessonActive: true });
    const locked = await thumbnail(again, socket, 2);
    expect(await meanBrightness(unlocked.jpeg)).toBeGreaterThan(150);
    expect(await meanBrightness(locked.jpeg)).toBeLessThan(60);
  });

  it('reconnects with backoff after the console restarts and says hello again', async () => {
    const console = await startConsole();
    const dataDir = newDataDir();
    await enrolDirectly(console, dataDir);
    const agent = startAgent(dataDir);
    await helloOn(console);
    const port = console.port;
    await console.close();
    await agent.waitForLog(/ disconnected code=1001/);
    // Let at least two reconnect attempts fail against the closed port.
    await waitFor(() => agent.countLog(/ reconnecting /) >= 2, 'two reconnect attempts', 10_000);
    const delays = agent.stderr.match(/reconnecting inMs=(\d+)/g)!.map((m) => Number(m.split('=')[1]));
    expect(delays[1]!).toBeGreaterThan(delays[0]! * 0.9);
    const again = await startConsole({}, port);
    for (const [id, key] of console.machines) again.machines.set(id, key);
    const { hello } = await helloOn(again);
    expect(hello.state.locked).toBe(false);
    expect(agent.exitCode).toBeNull();
  });

  it('refuses a console with another certificate at the same address and sends it nothing', async () => {
    const real = await startConsole();
    const dataDir = newDataDir();
    await enrolDirectly(real, dataDir);
    const port = real.port;
    await real.close();
    const impostor = new TestConsole({ certificate: await makeCertificate('Impostor'), code: null });
    consoles.push(impostor);
    for (const [id, key] of real.machines) impostor.machines.set(id, key);
    await impostor.listen(port);
    const agent = startAgent(dataDir);
    // Two refused attempts: the agent logs each once it has checked the certificate.
    await waitFor(() => agent.countLog(/ certificate-mismatch /) >= 2, 'two refused connection attempts', 10_000);
    expect(impostor.sockets.length).toBeGreaterThanOrEqual(2);
    expect(impostor.textMessageCount()).toBe(0);
    await impostor.close();
    // The real console comes back: the agent authenticates to it.
    const back = await startConsole({}, port);
    for (const [id, key] of real.machines) back.machines.set(id, key);
    await helloOn(back);
  });

  it('stops with a clear message when the console has removed this PC, and drops its lock', async () => {
    const console = await startConsole({ refuseAuthWith: closeCodes.revoked });
    const dataDir = newDataDir();
    await enrolDirectly(console, dataDir);
    writeFileSync(join(dataDir, 'state.json'), JSON.stringify({ locked: true, lockMessage: 'x', lesson: null, savedAt: 1 }));
    const agent = startAgent(dataDir);
    expect(await agent.waitForExit()).toBe(4);
    expect(agent.stderr).toContain('no longer accepts this PC');
    expect(agent.stderr).toContain('không còn nhận máy này');
    expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).locked).toBe(false);
  });
});

describe('an agent asked for its screen outside a lesson', () => {
  afterEach(async () => {
    await killAllAgents();
  });

  it('refuses with a clear error and sends no image, until a lesson starts, and again after it ends', async () => {
    const console = await startConsole();
    const dataDir = newDataDir();
    await enrolDirectly(console, dataDir);
    const agent = startAgent(dataDir);
    const { socket, hello } = await helloOn(console);
    expect(hello.state.lessonActive).toBe(false);

    console.send(socket, { type: 'thumbnail', requestId: 1, width: 320, quality: 60, screen: 'all' });
    const refusal = await waitFor(() => messagesOf(socket, 'thumbnailError').find((e) => e.requestId === 1), 'the refusal');
    expect(refusal.error.code).toBe('not-in-lesson');
    expect(refusal.error.message).toMatch(/only during a lesson/);
    await agent.waitForLog(/ thumbnail-refused requestId=1 reason=not-in-lesson/);
    expect(socket.frames).toHaveLength(0);

    console.send(socket, { type: 'command', id: 'lesson-on', command: { name: 'setLesson', lesson: lesson7A } });
    const on = await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'lesson-on'), 'the lesson ack');
    expect(on.state.lessonActive).toBe(true);
    expect((await thumbnail(console, socket, 2)).requestId).toBe(2);

    console.send(socket, { type: 'command', id: 'lesson-off', command: { name: 'setLesson', lesson: { active: false, language: 'vi' } } });
    await waitFor(() => messagesOf(socket, 'ack').find((a) => a.id === 'lesson-off'), 'the end ack');
    const framesBefore = socket.frames.length;
    console.send(socket, { type: 'thumbnail', requestId: 3, width: 320, quality: 60, screen: 'all' });
    expect((await waitFor(() => messagesOf(socket, 'thumbnailError').find((e) => e.requestId === 3), 'the second refusal')).error.code).toBe('not-in-lesson');
    expect(socket.frames).toHaveLength(framesBefore);
  });
});

describe('an agent that cannot start', () => {
  it('explains that it is not enrolled', async () => {
    const agent = startAgent(newDataDir());
    expect(await agent.waitForExit()).toBe(2);
    expect(agent.stderr).toContain('not enrolled');
    expect(agent.stderr).toContain('chưa được ghi danh');
  });

  it('explains a damaged agent.json instead of crashing', async () => {
    const dataDir = newDataDir();
    writeFileSync(join(dataDir, 'agent.json'), '{"format":"safelab-agent", "version": 1, "machineId"');
    const agent = startAgent(dataDir);
    expect(await agent.waitForExit()).toBe(3);
    expect(agent.stderr).toContain('agent.json');
    expect(agent.stderr).toContain('not valid JSON');
    expect(agent.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('reports status as JSON', async () => {
    const console = await startConsole();
    const dataDir = newDataDir();
    const machineId = await enrolDirectly(console, dataDir);
    const status = new AgentProcess(['status', '--data-dir', dataDir, '--json']);
    expect(await status.waitForExit()).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ enrolled: true, machineId, consoleFingerprint: console.fingerprint, state: { locked: false } });
  });
});
