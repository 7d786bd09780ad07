// The console session: loads everything when the link opens, marks the picture stale while the
// link is down, and reloads all of it after reconnecting (events missed meanwhile are not lost).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConsoleStatus, Machine } from '../../../src/shared/api/contract.js';
import { createWebTransport, type EventSocket } from '../../../src/renderer/api/web-transport.js';
import { useConnection } from '../../../src/renderer/state/connection.js';
import { useLabs } from '../../../src/renderer/state/labs.js';
import { useLessons } from '../../../src/renderer/state/lessons.js';
import { useMachines } from '../../../src/renderer/state/machines.js';
import { startSession } from '../../../src/renderer/state/session.js';
import { startFakeConsole, until, type FakeConsole } from './fake-console.js';
import { lab, lesson, machine } from './fixtures.js';

const token = 'session-token';
let fake: FakeConsole;
let stop: (() => void) | null = null;
let machines: Machine[];

const status: ConsoleStatus = {
  version: '0.1.0',
  agentPort: 47100,
  consoleFingerprint: 'AB',
  dataDir: '/tmp/x',
  demo: true,
  shell: 'web',
  thumbnailIntervalMs: 2000,
};

function begin(withToken = token): void {
  const transport = createWebTransport({
    baseUrl: fake.baseUrl,
    token: withToken,
    openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as EventSocket,
    random: () => 0,
  });
  stop = startSession(transport);
}

beforeEach(async () => {
  useConnection.setState({ status: 'connecting', consoleStatus: null });
  useLabs.setState({ byId: {}, selectedLabKey: null, chosen: false });
  useMachines.setState({ byId: {} });
  useLessons.setState({ activeByLab: {} });
  machines = [machine('a', 'PC-1', 'l1'), machine('b', 'PC-2', 'l1')];
  fake = await startFakeConsole(token);
  fake.answers['console.status'] = () => status;
  fake.answers['labs.list'] = () => [lab('l1', 'Phòng máy demo', 2)];
  fake.answers['lessons.active'] = () => [lesson('les1', 'l1')];
  fake.answers['machines.list'] = () => machines;
});

afterEach(async () => {
  stop?.();
  stop = null;
  await fake.close();
});

describe('console session', () => {
  it('loads labs, machines, lessons and status, then is online', async () => {
    begin();
    await until('online', () => useConnection.getState().status === 'online');
    expect(useConnection.getState().consoleStatus).toEqual(status);
    expect(useLabs.getState().selectedLabKey).toBe('l1');
    expect(Object.keys(useMachines.getState().byId).sort()).toEqual(['a', 'b']);
    expect(useLessons.getState().activeByLab['l1']?.id).toBe('les1');
  });

  it('is reconnecting while the stream is down and reloads everything when it is back', async () => {
    begin();
    await until('online', () => useConnection.getState().status === 'online');
    fake.refuseSockets(true);
    fake.dropSockets();
    await until('reconnecting', () => useConnection.getState().status === 'reconnecting');
    // Meanwhile a PC went offline and a lesson ended; no event reached us.
    machines = [machine('a', 'PC-1', 'l1', { online: false }), machine('b', 'PC-2', 'l1')];
    fake.answers['lessons.active'] = () => [];
    fake.refuseSockets(false);
    await until('online again', () => useConnection.getState().status === 'online', 10_000);
    expect(useMachines.getState().byId['a']?.online).toBe(false);
    expect(useLessons.getState().activeByLab).toEqual({});
  });

  it('says the link is no longer valid when the console refuses the token', async () => {
    begin('old-token');
    await until('unauthorized', () => useConnection.getState().status === 'unauthorized');
  });
});
