// The main-process half of the preload bridge: only our window's top frame is answered, only API methods are routed, errors keep their code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMethods, type ApiEvent } from '../../../src/shared/api/contract.js';
import { ApiError } from '../../../src/main/api/errors.js';
import {
  answerCall,
  eventChannel,
  forwardEvents,
  isApiMethodName,
  isTrustedSender,
  toApiErrorBody,
  untrustedSenderReply,
} from '../../../src/main/electron/bridge.js';
import { startTestConsole, type TestConsole } from './test-console.js';

const windowId = 7;
const ourPage = { webContentsId: windowId, frameUrl: 'safelab://app/index.html', isMainFrame: true };

describe('which calls the bridge answers', () => {
  it('routes every method of the API table', () => {
    for (const method of Object.keys(apiMethods)) expect(isApiMethodName(method), method).toBe(true);
  });

  it('refuses names that only look like methods: inherited properties, other types, near misses', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'labs.List', 'labs.list ', '', 'labs']) {
      expect(isApiMethodName(name), name).toBe(false);
    }
    for (const value of [undefined, null, 42, {}, ['labs.list']]) expect(isApiMethodName(value)).toBe(false);
  });

  it('trusts the top frame of our window showing our page', () => {
    expect(isTrustedSender(ourPage, windowId)).toBe(true);
    expect(isTrustedSender({ ...ourPage, frameUrl: 'safelab://app/' }, windowId)).toBe(true);
  });

  it('distrusts another webContents, an iframe, a foreign page, a gone frame, or no window at all', () => {
    expect(isTrustedSender({ ...ourPage, webContentsId: 8 }, windowId)).toBe(false);
    expect(isTrustedSender({ ...ourPage, isMainFrame: false }, windowId)).toBe(false);
    expect(isTrustedSender({ ...ourPage, frameUrl: 'https://example.com/' }, windowId)).toBe(false);
    expect(isTrustedSender({ ...ourPage, frameUrl: 'safelab://evil/index.html' }, windowId)).toBe(false);
    expect(isTrustedSender({ ...ourPage, frameUrl: 'file:///tmp/index.html' }, windowId)).toBe(false);
    expect(isTrustedSender({ ...ourPage, frameUrl: undefined }, windowId)).toBe(false);
    expect(isTrustedSender(ourPage, undefined)).toBe(false);
  });

  it('answers an untrusted sender with an unauthorized error a teacher can read in both languages', () => {
    const reply = untrustedSenderReply();
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('unauthorized');
      expect(reply.error.message).toMatch(/SafeLab/);
      expect(reply.error.messageEn).toMatch(/SafeLab window/);
    }
  });
});

describe('errors crossing the bridge', () => {
  it('keeps the code and both texts of a console error', () => {
    const error = new ApiError('not-found', 'errors.labNotFound', { lab: 'X' });
    expect(toApiErrorBody(error)).toEqual(error.body);
  });

  it('turns anything else into an internal error that still says what happened', () => {
    const body = toApiErrorBody(new TypeError('boom'));
    expect(body.code).toBe('internal');
    expect(body.message).toContain('boom');
    expect(body.messageEn).toContain('boom');
    expect(toApiErrorBody({ code: 'teapot', message: 'x' }).code).toBe('internal');
  });
});

describe('bridge over a real console core', () => {
  let console: TestConsole;

  beforeAll(async () => {
    console = await startTestConsole();
  });

  afterAll(async () => {
    await console?.close();
  });

  it('creates a lab through the bridge and returns it as plain, cloneable data', async () => {
    const reply = await answerCall(console.runtime.api, 'labs.create', { name: 'Phòng máy 2' });
    expect(reply).toMatchObject({ ok: true, value: { name: 'Phòng máy 2', machineCount: 0 } });
    // Electron IPC structured-clones every reply: a class instance or function would not survive.
    expect(structuredClone(reply)).toEqual(reply);
  });

  it('returns a bad input as a bad-request error instead of throwing', async () => {
    const reply = await answerCall(console.runtime.api, 'labs.create', { name: '' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('returns a missing lab as not-found with the Vietnamese and English messages', async () => {
    const reply = await answerCall(console.runtime.api, 'labs.rename', { labId: 'no-such-lab', name: 'X' });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('not-found');
      expect(reply.error.message).not.toBe(reply.error.messageEn);
    }
  });

  it('refuses an unknown method without reaching the console', async () => {
    const reply = await answerCall(console.runtime.api, 'constructor', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('forwards console events to the window, and stops when unsubscribed or the window is gone', async () => {
    const sent: Array<[string, ApiEvent]> = [];
    let destroyed = false;
    const stop = forwardEvents(console.runtime.api, () => ({
      send: (channel, event) => sent.push([channel, event]),
      isDestroyed: () => destroyed,
    }));

    await answerCall(console.runtime.api, 'labs.create', { name: 'Phòng máy 3' });
    expect(sent).toContainEqual([eventChannel, expect.objectContaining({ type: 'lab.updated', lab: expect.objectContaining({ name: 'Phòng máy 3' }) })]);

    destroyed = true;
    const before = sent.length;
    await answerCall(console.runtime.api, 'labs.create', { name: 'Phòng máy 4' });
    expect(sent.length).toBe(before);

    destroyed = false;
    stop();
    await answerCall(console.runtime.api, 'labs.create', { name: 'Phòng máy 5' });
    expect(sent.length).toBe(before);
  });
});
