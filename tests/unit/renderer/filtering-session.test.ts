// Web filtering in the console session: loaded with everything else (the running lesson's
// blocked attempts included), kept live by events, and never in the way when it cannot load.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiOutput, ConsoleStatus, LabFilter, MachineFilterStatus, ProfileRow } from '../../../src/shared/api/contract.js';
import { presetProfile } from '../../../src/shared/filtering/presets.js';
import { createWebTransport, type EventSocket } from '../../../src/renderer/api/web-transport.js';
import { useBlocked } from '../../../src/renderer/state/blocked.js';
import { useConnection } from '../../../src/renderer/state/connection.js';
import { useFiltering } from '../../../src/renderer/state/filtering.js';
import { useLabs } from '../../../src/renderer/state/labs.js';
import { useLessons } from '../../../src/renderer/state/lessons.js';
import { useMachines } from '../../../src/renderer/state/machines.js';
import { useProfiles } from '../../../src/renderer/state/profiles.js';
import { startSession } from '../../../src/renderer/state/session.js';
import { startFakeConsole, until, type FakeConsole } from './fake-console.js';
import { lab, lesson, machine } from './fixtures.js';

const token = 'filtering-token';
let fake: FakeConsole;
let stop: (() => void) | null = null;

const consoleStatus: ConsoleStatus = { version: '0.1.0', agentPort: 47100, consoleFingerprint: 'AB', dataDir: '/tmp/x', demo: false, shell: 'web', thumbnailIntervalMs: 2000 };

const labFilter: LabFilter = {
  labId: 'l1',
  baselineProfileId: 'preset-thcs',
  baselineIsDefault: true,
  lessonId: 'les1',
  lessonProfileId: null,
  effective: { id: 'preset-thcs', name: 'THCS', mode: 'filtered', safeSearch: true, youtube: 'strict', blockResponse: 'null-ip' },
  missingCategories: [],
};

function machineStatus(machineId: string, state: MachineFilterStatus['state'], updatedAt: number): MachineFilterStatus {
  return { machineId, labId: 'l1', state, wantedProfileId: 'preset-thcs', profileId: 'preset-thcs', mode: 'filtered', listSha256: null, listening: [], sentList: false, updatedAt };
}

const row = (name = 'THCS', updatedAt = 1): ProfileRow => ({ profile: { ...presetProfile('thcs'), name }, builtIn: true, createdAt: 1, updatedAt, updatedBy: 'system' });

const filteringStatus: ApiOutput<'filtering.status'> = {
  lists: { current: null, building: false, lastError: null, autoRefresh: false, lastRefreshAt: null },
  sources: [],
  labs: [labFilter],
  machines: [machineStatus('a', 'applied', 10)],
};

function begin(): void {
  const transport = createWebTransport({ baseUrl: fake.baseUrl, token, openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as EventSocket, random: () => 0 });
  stop = startSession(transport);
}

beforeEach(async () => {
  useConnection.setState({ status: 'connecting', consoleStatus: null });
  useLabs.setState({ byId: {}, selectedLabKey: null, chosen: false });
  useMachines.setState({ byId: {} });
  useLessons.setState({ activeByLab: {} });
  useFiltering.setState({ loaded: false, error: null, lists: null, sources: [], labs: {}, machines: {} });
  useProfiles.setState({ loaded: false, byId: {}, alwaysBlocked: [], defaultBaselineProfileId: null });
  useBlocked.setState({ byLesson: {} });
  fake = await startFakeConsole(token);
  fake.answers['console.status'] = () => consoleStatus;
  fake.answers['labs.list'] = () => [lab('l1', 'Phòng máy 1', 2)];
  fake.answers['lessons.active'] = () => [lesson('les1', 'l1')];
  fake.answers['machines.list'] = () => [machine('a', 'PC-1', 'l1'), machine('b', 'PC-2', 'l1')];
  fake.answers['filtering.status'] = () => filteringStatus;
  fake.answers['profiles.list'] = () => ({ profiles: [row()], alwaysBlockedCategories: ['adult'], defaultBaselineProfileId: 'preset-thcs' });
  fake.answers['filtering.blocked'] = () => ({
    total: 2,
    attempts: [
      { id: 2, at: 20, machineId: 'b', labId: 'l1', lessonId: 'les1', name: 'two.example', category: 'games' },
      { id: 1, at: 10, machineId: 'a', labId: 'l1', lessonId: 'les1', name: 'one.example', category: 'games' },
    ],
    byMachine: [
      { machineId: 'a', count: 1 },
      { machineId: 'b', count: 1 },
    ],
    byCategory: [{ category: 'games', count: 2 }],
  });
});

afterEach(async () => {
  stop?.();
  stop = null;
  await fake.close();
});

describe('web filtering in the console session', () => {
  it('loads the filtering picture, the profiles and the running lesson’s blocked attempts', async () => {
    begin();
    await until('filtering loaded', () => useFiltering.getState().loaded && useProfiles.getState().loaded && useBlocked.getState().byLesson['les1']?.loaded === true);
    expect(useFiltering.getState().labs['l1']?.baselineProfileId).toBe('preset-thcs');
    expect(useFiltering.getState().machines['a']?.state).toBe('applied');
    expect(useProfiles.getState().alwaysBlocked).toEqual(['adult']);
    expect(useBlocked.getState().byLesson['les1']?.total).toBe(2);
    expect(fake.calls.find((c) => c.method === 'filtering.blocked')?.body).toMatchObject({ lessonId: 'les1' });
  });

  it('stays live: PC states (never an older one over a newer), attempts, profiles', async () => {
    begin();
    await until('filtering loaded', () => useBlocked.getState().byLesson['les1']?.loaded === true && useFiltering.getState().loaded);
    fake.broadcast({ type: 'filter.machine', status: machineStatus('a', 'not-filtering', 5) });
    fake.broadcast({ type: 'filter.machine', status: machineStatus('b', 'sending', 30) });
    fake.broadcast({ type: 'filter.blocked', machineId: 'a', labId: 'l1', lessonId: 'les1', attempts: [{ time: 40, name: 'three.example', category: 'allowlist-only' }] });
    fake.broadcast({ type: 'filter.lab', lab: { ...labFilter, lessonProfileId: 'lesson-allowlist' } });
    fake.broadcast({ type: 'profile.updated', profile: row('THCS mới', 5) });
    await until('events applied', () => useProfiles.getState().byId['preset-thcs']?.profile.name === 'THCS mới');
    expect(useFiltering.getState().machines['a']?.state).toBe('applied');
    expect(useFiltering.getState().machines['b']?.state).toBe('sending');
    expect(useBlocked.getState().byLesson['les1']?.total).toBe(3);
    expect(useBlocked.getState().byLesson['les1']?.byMachine).toEqual({ a: 2, b: 1 });
    expect(useFiltering.getState().labs['l1']?.lessonProfileId).toBe('lesson-allowlist');
    fake.broadcast({ type: 'profile.removed', profileId: 'preset-thcs' });
    await until('profile removed', () => !('preset-thcs' in useProfiles.getState().byId));
  });

  it('keeps what events said while a status answer was on its way, and takes the rest from the answer', async () => {
    begin();
    await until('filtering loaded', () => useBlocked.getState().byLesson['les1']?.loaded === true && useFiltering.getState().loaded);
    // A list build ends: the session asks for the whole picture again, and the answer is held back.
    let reply: (status: ApiOutput<'filtering.status'>) => void = () => undefined;
    const statusCalls = (): number => fake.calls.filter((c) => c.method === 'filtering.status').length;
    const before = statusCalls();
    fake.answers['filtering.status'] = () => new Promise((resolve) => (reply = resolve));
    fake.broadcast({ type: 'filter.lists', lists: { ...filteringStatus.lists, building: false } });
    await until('the status asked for again', () => statusCalls() === before + 1);
    // Meanwhile PC a finishes ("applied" after the snapshot's "sending"), lab l1 switches to the
    // lesson allowlist, and PC c is removed.
    fake.broadcast({ type: 'filter.machine', status: machineStatus('a', 'applied', 30) });
    fake.broadcast({ type: 'filter.lab', lab: { ...labFilter, lessonProfileId: 'lesson-allowlist' } });
    fake.broadcast({ type: 'machine.removed', machineId: 'c' });
    await until('the events applied', () => useFiltering.getState().labs['l1']?.lessonProfileId === 'lesson-allowlist');
    // The snapshot was taken before those events; PC b's status is only in it.
    reply({
      ...filteringStatus,
      labs: [labFilter],
      machines: [machineStatus('a', 'sending', 20), machineStatus('b', 'applied', 25), machineStatus('c', 'applied', 25)],
    });
    await until('the answer taken', () => useFiltering.getState().machines['b']?.state === 'applied');
    expect(useFiltering.getState().machines['a']).toMatchObject({ state: 'applied', updatedAt: 30 });
    expect(useFiltering.getState().labs['l1']?.lessonProfileId).toBe('lesson-allowlist');
    expect(useFiltering.getState().machines['c']).toBeUndefined();
  });

  it('takes a reloaded picture whole after the event stream was cut, even where it looks older', async () => {
    begin();
    await until('filtering loaded', () => useBlocked.getState().byLesson['les1']?.loaded === true && useFiltering.getState().loaded);
    fake.broadcast({ type: 'filter.machine', status: machineStatus('a', 'applied', 50) });
    await until('the event applied', () => useFiltering.getState().machines['a']?.updatedAt === 50);
    // While the stream was down PC a went offline; the console dates an offline PC by when it was
    // last seen, which can be before the last event the session had.
    fake.answers['filtering.status'] = () => ({ ...filteringStatus, machines: [machineStatus('a', 'offline', 40)] });
    fake.dropSockets();
    await until('the reloaded picture', () => useFiltering.getState().machines['a']?.state === 'offline');
    expect(useFiltering.getState().machines['a']?.updatedAt).toBe(40);
  });

  it('is online even when the console cannot say anything about filtering', async () => {
    delete fake.answers['filtering.status'];
    begin();
    await until('a filtering error', () => useFiltering.getState().error !== null);
    expect(useConnection.getState().status).toBe('online');
    expect(useFiltering.getState().loaded).toBe(false);
  });
});
