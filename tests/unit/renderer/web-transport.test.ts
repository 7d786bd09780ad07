// Web mode transport over real loopback sockets: bearer-token requests, bilingual errors, the
// event stream with the token as subprotocol, and reconnecting when the stream drops.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent } from '../../../src/shared/api/contract.js';
import { ConsoleError } from '../../../src/renderer/api/console-error.js';
import type { ConsoleTransport, LinkStatus } from '../../../src/renderer/api/transport.js';
import { createWebTransport, type EventSocket } from '../../../src/renderer/api/web-transport.js';
import { startFakeConsole, until, type FakeConsole } from './fake-console.js';
import { lab } from './fixtures.js';

const token = 'tok_ABC-123';
let fake: FakeConsole;
let transport: ConsoleTransport | null = null;

const openSocket = (url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as EventSocket;

function connect(withToken = token): { transport: ConsoleTransport; links: LinkStatus[]; events: ApiEvent[] } {
  const t = createWebTransport({ baseUrl: fake.baseUrl, token: withToken, openSocket, random: () => 0 });
  transport = t;
  const links: LinkStatus[] = [];
  const events: ApiEvent[] = [];
  t.onLinkChange((s) => links.push(s));
  t.onEvent((e) => events.push(e));
  return { transport: t, links, events };
}

beforeEach(async () => {
  fake = await startFakeConsole(token);
});

afterEach(async () => {
  transport?.stop();
  transport = null;
  await fake.close();
});

describe('web transport', () => {
  it('posts JSON to /api/<method> with the bearer token and returns the answer', async () => {
    fake.answers['labs.create'] = (input) => lab('l1', (input as { name: string }).name);
    const { transport } = connect();
    const created = await transport.call('labs.create', { name: 'Phòng 2' });
    expect(created.name).toBe('Phòng 2');
    expect(fake.calls[0]).toEqual({
      method: 'labs.create',
      authorization: `Bearer ${token}`,
      contentType: 'application/json',
      session: expect.stringMatching(/^[0-9a-f]{32}$/),
      body: { name: 'Phòng 2' },
    });
  });

  it('names one session per transport (a browser tab) on every request and on its event socket', async () => {
    fake.answers['labs.list'] = () => [];
    const { transport, links } = connect();
    const other = createWebTransport({ baseUrl: fake.baseUrl, token, openSocket, random: () => 0 });
    try {
      await transport.call('labs.list', {});
      await transport.call('labs.list', {});
      await other.call('labs.list', {});
      const [first, again, fromOther] = fake.calls.map((c) => c.session);
      expect(again).toBe(first);
      expect(fromOther).not.toBe(first);
      transport.start();
      await until('link open', () => links.includes('open'));
      expect(fake.eventPaths).toEqual([`/api/events?session=${first}`]);
    } finally {
      other.stop();
    }
  });

  it('passes null answers through (lessons.end with no lesson)', async () => {
    fake.answers['lessons.end'] = () => null;
    const { transport } = connect();
    expect(await transport.call('lessons.end', { labId: 'l1' })).toBeNull();
  });

  it('turns an error body into an error with both languages', async () => {
    fake.answers['machines.remove'] = () => ({ status: 404, body: { code: 'not-found', message: 'Không tìm thấy máy.', messageEn: 'No such PC.' } });
    const { transport } = connect();
    const error = await transport.call('machines.remove', { machineId: 'm1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleError);
    expect(error).toMatchObject({ code: 'not-found', status: 404, text: { vi: 'Không tìm thấy máy.', en: 'No such PC.' } });
  });

  it('reports an unreachable console as a network error a teacher can read', async () => {
    const { transport } = connect();
    await fake.close();
    const error = (await transport.call('labs.list', {}).catch((e: unknown) => e)) as ConsoleError;
    expect(error.code).toBe('network');
    expect(error.text.vi).toMatch(/console/);
    fake = await startFakeConsole(token); // afterEach closes it
  });

  it('opens the event stream with the token as subprotocol and delivers events', async () => {
    const { transport, links, events } = connect();
    transport.start();
    await until('link open', () => links.includes('open'));
    expect(fake.offeredProtocols).toEqual([[`safelab.${token}`]]);
    fake.broadcast({ type: 'lab.updated', lab: lab('l1', 'A') });
    await until('event', () => events.length === 1);
    expect(events[0]).toEqual({ type: 'lab.updated', lab: lab('l1', 'A') });
    expect(links).toEqual(['connecting', 'open']);
  });

  it('reopens the stream after it drops and says so: lost, then open again', async () => {
    const { transport, links } = connect();
    transport.start();
    await until('link open', () => links.includes('open'));
    fake.dropSockets();
    await until('link lost', () => links.includes('lost'));
    await until('link reopened', () => links.filter((l) => l === 'open').length === 2);
    expect(links).toEqual(['connecting', 'open', 'lost', 'open']);
    expect(fake.connectedSockets()).toBe(1);
  });

  it('stops retrying when the console refuses the token', async () => {
    const { transport, links } = connect('stale-token');
    transport.start();
    await until('refused', () => links.includes('refused'));
    const attempts = fake.offeredProtocols.length;
    await new Promise((r) => setTimeout(r, 800));
    expect(fake.offeredProtocols.length).toBe(attempts);
  });

  it('stops cleanly: no socket left and no reconnect', async () => {
    const { transport, links } = connect();
    transport.start();
    await until('link open', () => links.includes('open'));
    transport.stop();
    await until('socket closed on the console side', () => fake.connectedSockets() === 0);
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.connectedSockets()).toBe(0);
    expect(links).toEqual(['connecting', 'open']);
  });
});
