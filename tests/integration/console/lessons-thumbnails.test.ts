// Lessons and live thumbnails: screens are pulled only while a lesson runs in a PC's lab, the
// lab's PCs learn the lesson (monitoring indicator), the focused PC gets larger images, and
// frames must answer the request in flight.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, Lab } from '../../../src/shared/api/contract.js';
import { encodeThumbnailFrame } from '../../../src/shared/protocol/frame.js';
import { isThumbnail, machineReady } from '../helpers/console-api.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { connectRawMachine, enrolRawMachine, type RawAgent } from '../helpers/raw-agent.js';
import { enrolAgent, runAgent, runAgentWith } from '../helpers/real-agent.js';
import { withTimeout } from '../helpers/wait.js';

const thumbnailIntervalMs = 200;
/** Long enough for several scheduler ticks: if thumbnails were flowing, some would arrive. */
const quietWindowMs = 6 * thumbnailIntervalMs;

let dataDir: string;
let console_: TestConsole;
let labA: Lab;
let labB: Lab;
const inA: string[] = [];
let inB: string;
let rawAgent: RawAgent;
let rawId: string;

async function enrolAndRun(labId: string, name: string): Promise<string> {
  const { api } = console_.runtime;
  const enrolment = await api.call('enrolment.create', { labId });
  const agentDir = path.join(dataDir, 'agents', name);
  const result = await enrolAgent({ dataDir: agentDir, hostname: name, consoleUrl: console_.agentUrl, code: enrolment.code });
  expect(result.exitCode, result.output).toBe(0);
  runAgent({ dataDir: agentDir, hostname: name });
  return (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
}

/** Resolves if no event matching `test` arrives within `ms` (and fails the test if one does). */
async function expectNone(test: (e: ApiEvent) => boolean, ms: number, what: string): Promise<void> {
  const from = console_.events.events.length;
  await new Promise((r) => setTimeout(r, ms));
  const seen = console_.events.events.slice(from).filter(test);
  expect(seen, what).toHaveLength(0);
}

const thumbnailOf = (machineId: string) => (e: ApiEvent) => e.type === 'thumbnail' && e.machineId === machineId;

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('lessons');
  console_ = await startTestConsole({ dataDir, thumbnailIntervalMs });
  const { api } = console_.runtime;
  labA = await api.call('labs.create', { name: 'Phòng A' });
  labB = await api.call('labs.create', { name: 'Phòng B' });
  inA.push(await enrolAndRun(labA.id, 'A-01'), await enrolAndRun(labA.id, 'A-02'));
  inB = await enrolAndRun(labB.id, 'B-01');
  const enrolment = await api.call('enrolment.create', { labId: labA.id });
  const raw = await enrolRawMachine(console_.agentUrl, enrolment.code, 'A-RAW');
  rawId = raw.machineId;
  rawAgent = await connectRawMachine(console_.agentUrl, raw);
  for (const id of [...inA, inB]) await console_.events.waitFor(machineReady(id), 20_000, `${id} ready`, 0);
});

afterAll(async () => {
  rawAgent?.close();
  await stopAllChildren();
  await console_?.close();
  removeDir(dataDir);
});

describe('lessons and thumbnails', { timeout: 60_000 }, () => {
  it('pulls no thumbnails while no lesson runs', async () => {
    await expectNone(isThumbnail, quietWindowMs, 'thumbnails before any lesson');
    expect(rawAgent.received.some((m) => m.type === 'thumbnail')).toBe(false);
    expect(await console_.runtime.api.call('lessons.active', {})).toEqual([]);
  });

  it('during a lesson pulls thumbnails from every PC of that lab, and none from other labs', async () => {
    const { api } = console_.runtime;
    const from = console_.events.events.length;
    const lesson = await api.call('lessons.start', { labId: labA.id, className: '7A', teacher: 'Cô Lan' });
    expect(lesson).toMatchObject({ labId: labA.id, className: '7A', teacher: 'Cô Lan', endedAt: null });
    expect(await api.call('lessons.active', {})).toEqual([lesson]);

    for (const id of inA) {
      const event = await console_.events.waitFor<Extract<ApiEvent, { type: 'thumbnail' }>>(thumbnailOf(id), 5000, `a thumbnail from ${id}`, from);
      const jpeg = Buffer.from(event.jpegBase64, 'base64');
      expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
      expect(event.width).toBe(320);
    }
    // The lab's PCs learnt about the lesson (their indicator is on).
    for (const id of inA) {
      await console_.events.waitFor((e) => e.type === 'machine.updated' && e.machine.id === id && e.machine.state.lessonActive, 5000, `${id} lessonActive`, from);
    }
    const setLesson = await rawAgent.next('command');
    expect(setLesson.command).toEqual({ name: 'setLesson', lesson: { active: true, lessonId: lesson.id, className: '7A', language: 'vi' } });
    // Until a PC acknowledges the lesson (its indicator is up) it is not asked for pictures.
    await new Promise((r) => setTimeout(r, quietWindowMs));
    expect(rawAgent.received.some((m) => m.type === 'thumbnail')).toBe(false);
    rawAgent.send({ type: 'ack', id: setLesson.id, ok: true, state: { locked: false, lessonActive: true } });
    expect(console_.events.matching(isThumbnail, from).some((e) => e.machineId === inB)).toBe(false);
    await expect(api.call('lessons.start', { labId: labA.id, className: '7B' })).rejects.toMatchObject({ body: { code: 'conflict' } });
  });

  it('accepts a frame only for the request in flight', async () => {
    const request = await rawAgent.next('thumbnail');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    rawAgent.sendBinary(encodeThumbnailFrame({ requestId: request.requestId + 1000, width: 8, height: 6, screen: 255, capturedAt: Date.now() }, jpeg));
    expect((await rawAgent.next('error')).error.code).toBe('frame-unexpected');
    const from = console_.events.events.length;
    rawAgent.sendBinary(encodeThumbnailFrame({ requestId: request.requestId, width: 8, height: 6, screen: 255, capturedAt: 1234 }, jpeg));
    const event = await console_.events.waitFor<Extract<ApiEvent, { type: 'thumbnail' }>>(thumbnailOf(rawId), 2000, 'the raw thumbnail', from);
    expect(event).toMatchObject({ width: 8, height: 6, capturedAt: 1234, jpegBase64: Buffer.from(jpeg).toString('base64') });
  });

  it('never has more than one request in flight to a PC that does not answer', async () => {
    // The raw agent now ignores requests: the console must not queue more behind the first.
    const before = rawAgent.received.filter((m) => m.type === 'thumbnail').length;
    await new Promise((r) => setTimeout(r, quietWindowMs));
    const after = rawAgent.received.filter((m) => m.type === 'thumbnail').length;
    expect(after - before).toBeLessThanOrEqual(1);
  });

  it('sends the focused PC larger thumbnails', async () => {
    const { api } = console_.runtime;
    const from = console_.events.events.length;
    await api.call('thumbnails.focus', { machineId: inA[0]! });
    await console_.events.waitFor((e) => e.type === 'thumbnail' && e.machineId === inA[0] && e.width === 960, 5000, 'a 960 px thumbnail', from);
    await api.call('thumbnails.focus', { machineId: null });
  });

  it('stops thumbnails the moment the lesson ends, and the PCs learn it ended', async () => {
    const { api } = console_.runtime;
    const from = console_.events.events.length;
    const ended = await api.call('lessons.end', { labId: labA.id });
    expect(ended?.endedAt).toBeTypeOf('number');
    expect(console_.events.matching(isThumbnail, from)).toEqual([]);
    await expectNone(isThumbnail, quietWindowMs, 'thumbnails after the lesson ended');
    for (const id of inA) {
      await console_.events.waitFor((e) => e.type === 'machine.updated' && e.machine.id === id && !e.machine.state.lessonActive, 5000, `${id} lesson over`, from);
    }
    expect(await api.call('lessons.active', {})).toEqual([]);
    expect(await api.call('lessons.end', { labId: labA.id })).toBeNull();
  });

  it('tells a PC that comes back still showing a lesson that the lesson is over', async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: labA.id });
    const machine = await enrolRawMachine(console_.agentUrl, enrolment.code, 'A-STALE');
    const stale = await connectRawMachine(console_.agentUrl, machine, { helloState: { locked: false, lessonActive: true } });
    const command = await stale.next('command');
    expect(command.command).toEqual({ name: 'setLesson', lesson: { active: false, language: 'vi' } });
    stale.close();
  });

  it('moves a PC into a lab whose lesson runs: it joins that lesson; renames follow in events', async () => {
    const { api } = console_.runtime;
    const lesson = await api.call('lessons.start', { labId: labB.id, className: '9D' });
    const from = console_.events.events.length;
    const moved = await api.call('machines.move', { machineId: rawId, labId: labB.id });
    expect(moved.labId).toBe(labB.id);
    // Earlier commands (lab A's lesson ending) may still be unread: skip to the one for lab B.
    let command = await rawAgent.next('command');
    while (!(command.command.name === 'setLesson' && command.command.lesson.active)) command = await rawAgent.next('command');
    expect(command.command).toEqual({ name: 'setLesson', lesson: { active: true, lessonId: lesson.id, className: '9D', language: 'vi' } });
    await console_.events.waitFor((e) => e.type === 'lab.updated' && e.lab.id === labB.id && e.lab.machineCount === 2, 2000, 'lab B counted', from);

    const renamed = await api.call('machines.rename', { machineId: rawId, name: 'Máy giáo viên dự phòng' });
    expect(renamed.name).toBe('Máy giáo viên dự phòng');
    await console_.events.waitFor((e) => e.type === 'machine.updated' && e.machine.name === 'Máy giáo viên dự phòng', 2000, 'rename event', from);
    expect((await api.call('labs.rename', { labId: labB.id, name: 'Phòng B (tầng 2)' })).name).toBe('Phòng B (tầng 2)');
    await expect(api.call('labs.rename', { labId: labB.id, name: 'phòng a' })).rejects.toMatchObject({ body: { code: 'conflict' } });
    await api.call('lessons.end', { labId: labB.id });
  });
});

describe('watching one PC large', { timeout: 60_000 }, () => {
  type Thumbnail = Extract<ApiEvent, { type: 'thumbnail' }>;
  let twoScreens: string;

  /** Calls the API over HTTP as one browser tab (its session) would. */
  async function callAs(session: string, method: string, input: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${console_.runtime.apiUrl}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${console_.runtime.token}`, 'x-safelab-session': session },
      body: JSON.stringify(input),
    });
    return { status: response.status, body: await response.json() };
  }

  /** A browser tab's event socket: while it is open the tab's choices are kept. */
  async function openTab(session: string): Promise<WebSocket> {
    const ws = new WebSocket(`${console_.runtime.apiUrl.replace(/^http/, 'ws')}/api/events?session=${session}`, [`safelab.${console_.runtime.token}`]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return ws;
  }

  const frameOf = (machineId: string, test: (e: Thumbnail) => boolean) => (e: ApiEvent) => e.type === 'thumbnail' && e.machineId === machineId && test(e);

  beforeAll(async () => {
    const { api } = console_.runtime;
    const enrolment = await api.call('enrolment.create', { labId: labA.id });
    const agentDir = path.join(dataDir, 'agents', 'A-DUAL');
    expect((await enrolAgent({ dataDir: agentDir, hostname: 'A-DUAL', consoleUrl: console_.agentUrl, code: enrolment.code })).exitCode).toBe(0);
    runAgentWith({ dataDir: agentDir, hostname: 'A-DUAL', args: ['--platform', 'simulated'], env: { SAFELAB_SIMULATED_SCREENS: '2' } });
    twoScreens = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
    await console_.events.waitFor(machineReady(twoScreens), 20_000, 'the two-monitor PC ready', 0);
    await api.call('lessons.start', { labId: labA.id, className: '8C' });
  });

  afterAll(async () => {
    await console_.runtime.api.call('lessons.end', { labId: labA.id });
  });

  it('shows the whole desktop of a two-monitor PC by default, and one monitor when the viewer picks it', async () => {
    const { api } = console_.runtime;
    const machine = (await api.call('machines.list', { labId: labA.id })).find((m) => m.id === twoScreens)!;
    expect(machine.screens.map((s) => [s.id, s.x, s.primary])).toEqual([
      [0, 0, true],
      [1, 1366, false],
    ]);
    const from = console_.events.events.length;
    const grid = await console_.events.waitFor<Thumbnail>(frameOf(twoScreens, () => true), 5000, 'a grid picture', from);
    expect(grid).toMatchObject({ screen: 'all', width: 320, height: 90 });

    const tab = await openTab('tab-dual-0001');
    try {
      const picked = console_.events.events.length;
      expect((await callAs('tab-dual-0001', 'thumbnails.focus', { machineId: twoScreens, screen: 1 })).status).toBe(200);
      const second = await console_.events.waitFor<Thumbnail>(frameOf(twoScreens, (e) => e.screen === 1), 5000, 'the second monitor', picked);
      expect([second.width, second.height]).toEqual([960, 540]);
      // Back to the whole desktop, large.
      const whole = console_.events.events.length;
      await callAs('tab-dual-0001', 'thumbnails.focus', { machineId: twoScreens, screen: 'all' });
      const large = await console_.events.waitFor<Thumbnail>(frameOf(twoScreens, (e) => e.screen === 'all' && e.width === 960), 5000, 'the whole desktop, large', whole);
      expect(large.height).toBe(270);
    } finally {
      tab.close();
    }
  });

  it('refuses a monitor the PC does not have', async () => {
    const refused = await callAs('tab-dual-0002', 'thumbnails.focus', { machineId: twoScreens, screen: 3 });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'bad-request', messageEn: expect.stringContaining('has no screen number 3') });
  });

  it('keeps each browser tab’s choice its own, and forgets a tab’s choice when the tab goes', async () => {
    const first = await openTab('tab-one-00001');
    const second = await openTab('tab-two-00002');
    try {
      await callAs('tab-one-00001', 'thumbnails.focus', { machineId: twoScreens, screen: 1 });
      await callAs('tab-two-00002', 'thumbnails.focus', { machineId: inA[0]!, screen: 'all' });
      const both = console_.events.events.length;
      await console_.events.waitFor(frameOf(twoScreens, (e) => e.screen === 1 && e.width === 960), 5000, 'tab one’s PC large', both);
      await console_.events.waitFor(frameOf(inA[0]!, (e) => e.width === 960), 5000, 'tab two’s PC large', both);

      // Tab one closes without closing its view: its PC goes back to the grid; tab two's stays large.
      first.close();
      await new Promise((r) => setTimeout(r, 300));
      const after = console_.events.events.length;
      await console_.events.waitFor(frameOf(twoScreens, (e) => e.screen === 'all' && e.width === 320), 5000, 'tab one’s PC back in the grid', after);
      await console_.events.waitFor(frameOf(inA[0]!, (e) => e.width === 960), 5000, 'tab two’s PC still large', after);
    } finally {
      first.close();
      second.close();
    }
  });

  it('keeps a reconnecting tab’s choice when its old event socket closes only after the new one opened', async () => {
    // The web transport reopens its event socket under the same session and then re-sends what it
    // watches; the console may learn that the old socket closed only afterwards (a late close).
    const session = 'tab-reconnect-01';
    const old = await openTab(session);
    const renewed = await openTab(session);
    try {
      await callAs(session, 'thumbnails.focus', { machineId: inA[0]!, screen: 'all' });
      await console_.events.waitFor(frameOf(inA[0]!, (e) => e.width === 960), 5000, 'the PC large', console_.events.events.length);

      const closed = new Promise<void>((resolve) => old.once('close', () => resolve()));
      old.close();
      await withTimeout(closed, 5000, 'the old event socket to close');
      const after = console_.events.events.length;
      await expectNone(frameOf(inA[0]!, (e) => e.width !== 960), quietWindowMs, 'grid-size pictures of the PC the tab still watches');
      expect(console_.events.events.slice(after).filter(frameOf(inA[0]!, () => true)).length).toBeGreaterThan(0);

      // The tab's last socket closing ends the session: the PC goes back to the grid.
      renewed.close();
      const gone = console_.events.events.length;
      await console_.events.waitFor(frameOf(inA[0]!, (e) => e.width === 320), 5000, 'the PC back in the grid', gone);
    } finally {
      old.close();
      renewed.close();
    }
  });
});
