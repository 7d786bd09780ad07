// A damaged list transfer never takes filtering down. First with a real agent process and its DNS
// filter: the console's own transfer code (sendFrames) sends a list whose bytes are flipped in
// flight, or cut short; the agent refuses it and keeps enforcing the last good list, also across
// its own restart. Then with the console: an agent that reports the list damaged gets one fresh
// resend, after which the console records the PC as failed and says why.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAgentConfig, writeAgentKey } from '../../../src/agent/config.js';
import type { ApiEvent } from '../../../src/shared/api/contract.js';
import { generateAgentKeyPair, machineIdFromPublicKey } from '../../../src/shared/auth/enrolment.js';
import { compileLists } from '../../../src/shared/filtering/compile.js';
import { presetProfile } from '../../../src/shared/filtering/presets.js';
import { decodeFilterChunk, filterChunkBytes } from '../../../src/shared/protocol/frame.js';
import type { AgentMessage, AgentState, Command } from '../../../src/shared/protocol/messages.js';
import { ListFrames, type CurrentList } from '../../../src/main/web-filtering/lists.js';
import { sendFrames, type ListLink } from '../../../src/main/web-filtering/transfer.js';
import { makeCertificate, TestConsole, waitFor, type AgentSocket } from '../agent/test-console.js';
import { TestUpstream } from '../dns/test-upstream.js';
import { connectRawMachine, enrolRawMachine, RawAgent } from '../helpers/raw-agent.js';
import { startTestConsole, type TestConsole as InProcessConsole } from '../helpers/in-process-console.js';
import { stopAllChildren } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { assertFilteringBuilt, FilteringAgent, resolve4 } from './filtering-helpers.js';

type Ack = Extract<AgentMessage, { type: 'ack' }>;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const folders: string[] = [];

function newDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `safelab-${label}-`));
  folders.push(dir);
  return dir;
}

/** A list big enough to travel in several chunks: bulk ad names plus the names the test asks about. */
function schoolList(gambling: string[]): Uint8Array {
  const bulk = Array.from({ length: 150_000 }, (_, i) => `n${i}.ads.test`);
  return compileLists(
    [
      { category: 'publicite', names: bulk },
      { category: 'gambling', names: gambling },
      { category: 'lesson-platforms', kind: 'allow', names: ['olm.vn'] },
    ],
    { builtAtSeconds: 1_790_000_000 },
  ).blob;
}

function asList(bytes: Uint8Array): CurrentList {
  return { bytes, sha256: sha256(bytes), info: null as never, matcher: null as never };
}

/** The console-side link over the stand-in console's socket; `tamper` may change a frame in flight. */
function linkOf(socket: AgentSocket, tamper?: (frame: Uint8Array, index: number) => Uint8Array): ListLink {
  let index = 0;
  return {
    get open() {
      return socket.ws.readyState === socket.ws.OPEN;
    },
    get bufferedBytes() {
      return socket.ws.bufferedAmount;
    },
    sendFrame(data, done) {
      const frame = tamper ? tamper(data, index) : data;
      index++;
      socket.ws.send(frame, { binary: true }, (error) => done(error ?? undefined));
    },
  };
}

let upstream: TestUpstream;

beforeAll(async () => {
  assertFilteringBuilt();
  upstream = await TestUpstream.start({ zone: { 'site.test': { A: ['10.1.2.3'] }, 'casino.test': { A: ['6.6.6.6'] } } });
});

afterAll(async () => {
  await stopAllChildren();
  await upstream?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('a damaged list transfer to a real agent', { timeout: 60_000 }, () => {
  let standIn: TestConsole;
  let agentDir: string;
  let agent: FilteringAgent;
  let socket: AgentSocket;
  let port: number;
  let commandCount = 0;
  const good = schoolList(['casino.test']);
  const next = schoolList(['casino.test', 'site.test']);
  const frames = new ListFrames();

  async function connected(after = 0): Promise<AgentSocket> {
    return waitFor(() => {
      const live = standIn.live;
      return live && live.index >= after && live.messages.some((m) => m.type === 'hello') ? live : undefined;
    }, 'the agent to say hello', 30_000);
  }

  /** Sends setFilter and waits for its ack. */
  async function setFilter(list: Uint8Array, transferId?: number): Promise<Ack> {
    const id = `set-${++commandCount}`;
    const command: Command = {
      name: 'setFilter',
      profile: presetProfile('thcs'),
      list: { sha256: sha256(list), bytes: list.byteLength, ...(transferId !== undefined ? { transferId } : {}) },
    };
    standIn.send(socket, { type: 'command', id, command });
    return waitFor(() => socket.messages.find((m): m is Ack => m.type === 'ack' && m.id === id), `the ack of ${id}`, 15_000);
  }

  beforeAll(async () => {
    standIn = new TestConsole({ certificate: await makeCertificate() });
    await standIn.listen();
    agentDir = newDir('corrupt-agent');
    const keys = await generateAgentKeyPair();
    const machineId = await machineIdFromPublicKey(keys.publicKey);
    standIn.machines.set(machineId, keys.publicKey);
    writeAgentKey(agentDir, keys.privateKey);
    writeAgentConfig(agentDir, {
      format: 'safelab-agent',
      version: 1,
      machineId,
      consoleUrl: standIn.url,
      consoleFingerprint: standIn.fingerprint,
      publicKey: keys.publicKey,
      enrolledAt: Date.now(),
    });
    agent = FilteringAgent.start({ dataDir: agentDir, hostname: 'PC-07', upstreamPort: upstream.port });
    port = await agent.dnsPort();
    socket = await connected();
  });

  afterAll(async () => {
    await agent?.agent.stop();
    await standIn?.close();
  });

  it('installs a list sent intact', async () => {
    expect(good.byteLength).toBeGreaterThan(filterChunkBytes);
    const { transferId, frames: chunks } = frames.framesFor(asList(good));
    await sendFrames(linkOf(socket), chunks);
    const ack = await setFilter(good, transferId);
    expect(ack).toMatchObject({ ok: true, state: { filter: { listSha256: sha256(good), profileId: 'preset-thcs' } } });
    expect(await resolve4(port, 'casino.test')).toEqual(['0.0.0.0']);
    expect(await resolve4(port, 'n1234.ads.test')).toEqual(['0.0.0.0']);
    expect(await resolve4(port, 'site.test')).toEqual(['10.1.2.3']);
  });

  it('refuses a list whose bytes changed in flight and keeps enforcing the last good one', async () => {
    const { transferId, frames: chunks } = frames.framesFor(asList(next));
    expect(chunks.length).toBeGreaterThan(1);
    // One bit flipped in the middle of the second chunk (a copy: the console's frames stay intact).
    await sendFrames(
      linkOf(socket, (frame, index) => {
        if (index !== 1) return frame;
        const copy = frame.slice();
        const middle = copy.length >> 1;
        copy[middle] = copy[middle]! ^ 0x10;
        return copy;
      }),
      chunks,
    );
    const ack = await setFilter(next, transferId);
    expect(ack).toMatchObject({ ok: false, error: { code: 'filter-list-corrupt' }, state: { filter: { listSha256: sha256(good) } } });
    expect(await resolve4(port, 'site.test')).toEqual(['10.1.2.3']);
    expect(await resolve4(port, 'casino.test')).toEqual(['0.0.0.0']);
  });

  it('refuses a transfer cut short', async () => {
    const { transferId, frames: chunks } = frames.framesFor(asList(next), true);
    await sendFrames(linkOf(socket), chunks.slice(0, 1));
    const ack = await setFilter(next, transferId);
    expect(ack).toMatchObject({ ok: false, error: { code: 'filter-list-missing' }, state: { filter: { listSha256: sha256(good) } } });
    expect(await resolve4(port, 'site.test')).toEqual(['10.1.2.3']);
  });

  it('still enforces the last good list after the agent restarts, with no console', async () => {
    await standIn.close();
    await agent.agent.stop();
    agent = FilteringAgent.start({ dataDir: agentDir, hostname: 'PC-07', upstreamPort: upstream.port });
    port = await agent.dnsPort();
    expect(await resolve4(port, 'casino.test')).toEqual(['0.0.0.0']);
    expect(await resolve4(port, 'site.test')).toEqual(['10.1.2.3']);
  });

  it('takes the newer list once it arrives intact', async () => {
    const before = standIn.sockets.length;
    await standIn.listen(Number(new URL(standIn.url).port));
    socket = await connected(before);
    const { transferId, frames: chunks } = frames.framesFor(asList(next));
    await sendFrames(linkOf(socket), chunks);
    expect(await setFilter(next, transferId)).toMatchObject({ ok: true, state: { filter: { listSha256: sha256(next) } } });
    expect(await resolve4(port, 'site.test')).toEqual(['0.0.0.0']);
  });
});

describe('the console when an agent reports the list damaged', { timeout: 60_000 }, () => {
  let console_: InProcessConsole;
  let raw: RawAgent;
  const received: Uint8Array[] = [];
  const state: AgentState = { locked: false, lessonActive: false, filter: { listening: ['127.0.0.1:53'] } };

  beforeAll(async () => {
    console_ = await startTestConsole({ dataDir: newDir('corrupt-console') });
  });

  afterAll(async () => {
    raw?.close();
    await console_?.close();
  });

  /** The next setFilter and the chunks that came before it, reassembled. */
  async function nextTransfer(): Promise<{ id: string; command: Extract<Command, { name: 'setFilter' }>; bytes: Uint8Array; transferId: number }> {
    const message = await raw.next('command', 15_000);
    if (message.command.name !== 'setFilter') throw new Error(`unexpected ${message.command.name}`);
    const chunks = received.splice(0).map((frame) => decodeFilterChunk(frame));
    const bytes = new Uint8Array(chunks[0]?.total ?? 0);
    for (const chunk of chunks) bytes.set(chunk.data, chunk.offset);
    return { id: message.id, command: message.command, bytes, transferId: chunks[0]?.transferId ?? -1 };
  }

  it('sends the list once more with a fresh transfer, then records the PC as failed with the reason', async () => {
    const { api } = console_.runtime;
    const labId = (await api.call('labs.list', {}))[0]!.id;
    const { code } = await api.call('enrolment.create', { labId });
    const machine = await enrolRawMachine(console_.agentUrl, code, 'RAW-FILTER');
    raw = await RawAgent.connect(console_.agentUrl);
    raw.ws.on('message', (data, isBinary) => {
      if (isBinary) received.push(new Uint8Array(data as Buffer));
    });
    raw.send(await raw.authMessage(machine.machineId, machine.keyPair.privateKey));
    await raw.next('welcome');
    raw.send({
      type: 'hello',
      identity: { hostname: 'RAW-FILTER', os: { platform: 'test', release: '1' }, agentVersion: 'raw', desktop: 'raw' },
      session: { user: null, screens: [] },
      state,
      capabilities: ['web-filter'],
    });

    const first = await nextTransfer();
    const status = await api.call('filtering.status', {});
    const list = status.lists.current!;
    // What arrived is exactly the console's list, named by its SHA-256.
    expect(first.command.list).toEqual({ sha256: list.sha256, bytes: list.bytes, transferId: first.transferId });
    expect(sha256(first.bytes)).toBe(list.sha256);
    expect(first.command.profile).toMatchObject({ id: 'preset-thcs', mode: 'filtered' });
    raw.send({ type: 'ack', id: first.id, ok: false, error: { code: 'filter-list-corrupt', message: 'SHA-256 mismatch' }, state });

    const second = await nextTransfer();
    expect(second.transferId).not.toBe(first.transferId);
    expect(sha256(second.bytes)).toBe(list.sha256);
    const failed = console_.events.waitFor<Extract<ApiEvent, { type: 'filter.machine' }>>(
      (e) => e.type === 'filter.machine' && e.status.machineId === machine.machineId && e.status.state === 'failed',
      10_000,
      'the PC recorded as failed',
    );
    raw.send({ type: 'ack', id: second.id, ok: false, error: { code: 'filter-list-corrupt', message: 'SHA-256 mismatch' }, state });
    expect((await failed).status).toMatchObject({ reason: 'filter-list-corrupt', sentList: true, wantedProfileId: 'preset-thcs' });
    const after = await api.call('filtering.status', {});
    expect(after.machines.find((m) => m.machineId === machine.machineId)).toMatchObject({ state: 'failed', reason: 'filter-list-corrupt' });
    expect(console_.log.has(/arrived damaged; sending it again/)).toBe(true);
  });

  it('reports a PC that runs no DNS filter as not filtering, and sends it nothing', async () => {
    const { api } = console_.runtime;
    const labId = (await api.call('labs.list', {}))[0]!.id;
    const { code } = await api.call('enrolment.create', { labId });
    const machine = await enrolRawMachine(console_.agentUrl, code, 'RAW-NOFILTER');
    const plain = await connectRawMachine(console_.agentUrl, machine);
    try {
      await until(
        async () => (await api.call('filtering.status', {})).machines.some((m) => m.machineId === machine.machineId && m.state === 'not-filtering'),
        10_000,
        'the PC shown as not filtering',
      );
      const status = (await api.call('filtering.status', {})).machines.find((m) => m.machineId === machine.machineId);
      expect(status?.reason).toBe('no-capability');
      expect(plain.received.some((m) => m.type === 'command')).toBe(false);
    } finally {
      plain.close();
    }
  });
});
