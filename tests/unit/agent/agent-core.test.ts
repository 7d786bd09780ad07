// The agent core with a fake desktop and a fake console link: commands run once per id and in
// order, captures never overlap, a lock is re-applied on start, hello does not wait for inventory.
import { describe, expect, it } from 'vitest';
import { Agent, maxQueuedCommands } from '../../../src/agent/agent.js';
import { lockNotShownCode } from '../../../src/shared/protocol/errors.js';
import { initialState, type PersistedState } from '../../../src/agent/config.js';
import type { ConsoleLink } from '../../../src/agent/connection.js';
import type { CaptureRequest, CapturedImage, LockIssue, MonitoringIndicatorState, SessionDesktop, SessionInfo } from '../../../src/agent/platform/session-desktop.js';
import { decodeThumbnailFrame } from '../../../src/shared/protocol/frame.js';
import type { AgentMessage, Inventory } from '../../../src/shared/protocol/messages.js';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]);
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits (at most 2 s) until `condition` holds; a busy CI machine may run timers late. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

class FakeDesktop implements SessionDesktop {
  readonly platform = 'simulated' as const;
  calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  captureDelayMs = 5;
  failCapture = false;
  private listener: ((info: SessionInfo) => void) | null = null;
  session: SessionInfo = { user: 'hs01', screens: [{ id: 0, name: 'm', x: 0, y: 0, width: 1366, height: 768, primary: true }] };
  async start(): Promise<void> {}
  sessionInfo(): SessionInfo {
    return this.session;
  }
  onSessionChange(listener: (info: SessionInfo) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  changeSession(user: string | null): void {
    this.session = { ...this.session, user };
    this.listener?.(this.session);
  }
  async capture(request: CaptureRequest): Promise<CapturedImage> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.calls.push(`capture:${request.width}`);
    await tick(this.captureDelayMs);
    this.inFlight--;
    if (this.failCapture) throw new Error('no X');
    return { jpeg, width: request.width, height: Math.round((request.width * 768) / 1366), capturedAt: 123 };
  }
  /** What lock() rejects with (the X server gone), or null. */
  failLock: Error | null = null;
  async lock(message: string): Promise<void> {
    await tick(2);
    if (this.failLock) throw this.failLock;
    this.calls.push(`lock:${message}`);
    this.issue = this.issueOnLock;
  }
  async unlock(): Promise<void> {
    this.calls.push('unlock');
    this.setIssue(null);
  }
  /** What the lock's problem is (the Linux desktop reports input not captured, or a contest). */
  issue: LockIssue | null = null;
  /** The issue lock() will report when it resolves. */
  issueOnLock: LockIssue | null = null;
  private issueListener: ((issue: LockIssue | null) => void) | null = null;
  lockIssue(): LockIssue | null {
    return this.issue;
  }
  onLockIssue(listener: (issue: LockIssue | null) => void): () => void {
    this.issueListener = listener;
    return () => (this.issueListener = null);
  }
  setIssue(issue: LockIssue | null): void {
    if (issue === this.issue) return;
    this.issue = issue;
    this.issueListener?.(issue);
  }
  async showMessage(text: string): Promise<void> {
    this.calls.push(`message:${text}`);
  }
  indicatorDelayMs = 0;
  failIndicator = false;
  async setMonitoringIndicator(state: MonitoringIndicatorState): Promise<void> {
    if (this.indicatorDelayMs > 0) await tick(this.indicatorDelayMs);
    if (this.failIndicator) throw new Error('cannot map the badge window');
    this.calls.push(`indicator:${state.visible}:${state.className ?? ''}`);
  }
  async close(): Promise<void> {}
}

class FakeLink implements ConsoleLink {
  sent: AgentMessage[] = [];
  frames: Uint8Array[] = [];
  isOpen = true;
  buffered = 0;
  send(message: AgentMessage): void {
    this.sent.push(message);
  }
  sendFrame(frame: Uint8Array): void {
    this.frames.push(frame);
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  of<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }
}

const sampleInventory: Inventory = {
  cpu: { model: 'Intel Pentium G2030', cores: 2, speedGHz: 3 },
  memoryBytes: 4e9,
  disks: [],
  os: { platform: 'win32', distro: 'Windows 7', release: '6.1', build: '7601', arch: 'x64' },
  networkAdapters: [{ name: 'Ethernet', mac: '00:11:22:33:44:55', ipv4: ['10.0.0.7'], ipv6: [], virtual: false }],
  gatheredAt: 1,
};

function makeAgent(options: { state?: PersistedState; inventory?: () => Promise<Inventory>; saveState?: (state: PersistedState) => Promise<void> } = {}) {
  const desktop = new FakeDesktop();
  const saved: PersistedState[] = [];
  const logs: string[] = [];
  const agent = new Agent({
    desktop,
    identity: { hostname: 'pc07', os: { platform: 'linux', release: '6' }, agentVersion: '0.1.0', desktop: 'simulated' },
    state: options.state ?? { ...initialState },
    saveState: options.saveState ?? ((state) => void saved.push(structuredClone(state))),
    inventory: options.inventory ?? (async () => sampleInventory),
    log: (event) => logs.push(event),
  });
  const link = new FakeLink();
  return { agent, desktop, saved, logs, link };
}

const welcome = { type: 'welcome' as const, machineId: 'm-0000000000000000', lesson: { active: false, language: 'vi' as const } };
const lesson7A = { active: true, lessonId: 'l-7a', className: '7A1', language: 'vi' as const };
/** The console welcomes the PC while a lesson runs in its lab. */
const inLesson = { ...welcome, lesson: lesson7A };

describe('agent core', () => {
  it('runs a repeated command id once and answers it with the same acknowledgement', async () => {
    const { agent, desktop, link, saved } = makeAgent();
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, { type: 'command', id: 'c1', command: { name: 'lock', message: 'Dừng tay' } });
    agent.onMessage(link, { type: 'command', id: 'c1', command: { name: 'lock', message: 'Dừng tay' } });
    await until(() => link.of('ack').length === 2, 'two acks');
    agent.onMessage(link, { type: 'command', id: 'c1', command: { name: 'lock', message: 'Dừng tay' } });
    await until(() => link.of('ack').length === 3, 'three acks');
    expect(desktop.calls.filter((c) => c.startsWith('lock'))).toEqual(['lock:Dừng tay']);
    const acks = link.of('ack');
    expect(acks).toHaveLength(3);
    expect(acks[1]).toEqual(acks[0]);
    expect(acks[2]).toEqual(acks[0]);
    expect(acks[0]).toEqual({ type: 'ack', id: 'c1', ok: true, state: { locked: true, lockMessage: 'Dừng tay', lessonActive: false } });
    expect(saved.at(-1)).toMatchObject({ locked: true, lockMessage: 'Dừng tay' });
  });

  it('runs commands one at a time in arrival order', async () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, { type: 'command', id: 'a', command: { name: 'lock', message: 'x' } });
    agent.onMessage(link, { type: 'command', id: 'b', command: { name: 'unlock' } });
    await until(() => link.of('ack').length === 2, 'two acks');
    expect(desktop.calls.filter((c) => c === 'lock:x' || c === 'unlock')).toEqual(['lock:x', 'unlock']);
    expect(link.of('ack').map((a) => [a.id, a.state.locked])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('refuses commands beyond its queue bound as busy, without remembering them', async () => {
    const { agent, link } = makeAgent();
    agent.onAuthenticated(link, welcome);
    for (let i = 0; i <= maxQueuedCommands + 2; i++) agent.onMessage(link, { type: 'command', id: `q${i}`, command: { name: 'lock', message: String(i) } });
    const busy = link.of('ack').filter((a) => a.error?.code === 'busy');
    expect(busy.map((a) => a.id)).toEqual([`q${maxQueuedCommands}`, `q${maxQueuedCommands + 1}`, `q${maxQueuedCommands + 2}`]);
    await until(() => link.of('ack').length === maxQueuedCommands + 3, 'every queued command acknowledged');
    agent.onMessage(link, { type: 'command', id: `q${maxQueuedCommands}`, command: { name: 'lock', message: 'retry' } });
    await until(() => link.of('ack').length === maxQueuedCommands + 4, 'the retried command acknowledged');
    expect(link.of('ack').filter((a) => a.id === `q${maxQueuedCommands}`).at(-1)).toMatchObject({ ok: true, state: { lockMessage: 'retry' } });
  });

  it('never has two captures in flight, however requests arrive', async () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, inLesson);
    let requestId = 0;
    for (let round = 0; round < 20; round++) {
      const burst = 1 + (round % 4);
      for (let i = 0; i < burst; i++) agent.onMessage(link, { type: 'thumbnail', requestId: requestId++, width: 320, quality: 60, screen: 0 });
      await tick(round % 3 === 0 ? 8 : 1);
    }
    await until(() => link.frames.length + link.of('thumbnailError').length === requestId, 'an answer for every request');
    expect(desktop.maxInFlight).toBe(1);
    const answered = link.frames.length + link.of('thumbnailError').length;
    expect(answered).toBe(requestId);
    expect(link.of('thumbnailError').every((e) => e.error.code === 'busy')).toBe(true);
    expect(link.of('thumbnailError').length).toBeGreaterThan(0);
    const frame = decodeThumbnailFrame(link.frames[0]!);
    expect(frame).toMatchObject({ width: 320, height: 180, screen: 0, capturedAt: 123 });
  });

  it('answers busy rather than queue a frame behind one the socket has not sent yet', () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, inLesson);
    link.buffered = 2 * 1024 * 1024;
    agent.onMessage(link, { type: 'thumbnail', requestId: 1, width: 320, quality: 60, screen: 0 });
    expect(desktop.calls.filter((c) => c.startsWith('capture'))).toEqual([]);
    expect(link.of('thumbnailError')[0]).toMatchObject({ requestId: 1, error: { code: 'busy' } });
  });

  it('drops a picture whose console went away during the capture', async () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, inLesson);
    agent.onMessage(link, { type: 'thumbnail', requestId: 1, width: 320, quality: 60, screen: 0 });
    link.isOpen = false;
    agent.onDisconnected(link);
    await until(() => desktop.calls.includes('capture:320') && desktop.inFlight === 0, 'the capture to finish');
    await tick();
    expect(link.frames).toHaveLength(0);
    expect(link.of('thumbnailError')).toHaveLength(0);
  });

  it('reports a failed capture as thumbnailError capture-failed', async () => {
    const { agent, desktop, link } = makeAgent();
    desktop.failCapture = true;
    agent.onAuthenticated(link, inLesson);
    agent.onMessage(link, { type: 'thumbnail', requestId: 9, width: 320, quality: 60, screen: 'all' });
    await until(() => link.of('thumbnailError').length === 1, 'the capture error');
    expect(link.of('thumbnailError')).toEqual([{ type: 'thumbnailError', requestId: 9, error: { code: 'capture-failed', message: 'no X' } }]);
  });

  it('re-applies a persisted lock and lesson indicator before any console is reachable', async () => {
    const { agent, desktop } = makeAgent({
      state: { locked: true, lockMessage: 'Kiểm tra', lesson: { active: true, className: '8B', language: 'vi' }, savedAt: 1 },
    });
    await agent.restore();
    expect(desktop.calls).toEqual(['lock:Kiểm tra', 'indicator:true:8B']);
  });

  it('says hello at once even while the inventory is still being gathered, then sends it', async () => {
    let finish!: (inventory: Inventory) => void;
    const { agent, link } = makeAgent({ inventory: () => new Promise((resolve) => (finish = resolve)) });
    agent.refreshInventory();
    agent.onAuthenticated(link, { ...welcome, lesson: { active: true, className: '7A1', language: 'vi' } });
    expect(link.sent.map((m) => m.type)).toEqual(['hello']);
    expect(link.of('hello')[0]).toMatchObject({ state: { locked: false, lessonActive: true }, session: { user: 'hs01' } });
    finish(sampleInventory);
    await tick();
    expect(link.sent.map((m) => m.type)).toEqual(['hello', 'inventory']);
  });

  it('tells the console when the user signs in or out', () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, welcome);
    desktop.changeSession(null);
    expect(link.of('session')).toEqual([{ type: 'session', session: { ...desktop.session, user: null } }]);
  });

  it('acknowledges a lock that could not capture input as done, with the problem in the state the tile shows', async () => {
    const { agent, desktop, link, logs } = makeAgent();
    agent.onAuthenticated(link, welcome);
    desktop.issueOnLock = 'input-not-captured';
    agent.onMessage(link, { type: 'command', id: 'k1', command: { name: 'lock', message: 'Dừng tay' } });
    await until(() => link.of('ack').length === 1, 'the ack');
    expect(link.of('ack')[0]).toEqual({ type: 'ack', id: 'k1', ok: true, state: { locked: true, lockMessage: 'Dừng tay', lessonActive: false, lockIssue: 'input-not-captured' } });
    expect(logs).toContain('locked');
  });

  it('acknowledges a lock as soon as it is on screen, saves the state after it, and a failed save still locks (logged)', async () => {
    let release!: () => void;
    let failNext = false;
    const saves: PersistedState[] = [];
    const { agent, desktop, link, logs } = makeAgent({
      saveState: (state) => {
        saves.push(structuredClone(state));
        return failNext ? Promise.reject(new Error('disk full')) : new Promise<void>((r) => (release = r));
      },
    });
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, { type: 'command', id: 'k1', command: { name: 'lock', message: 'Dừng tay' } });
    // The ack does not wait for the disk; the save of the locked state is already under way.
    await until(() => link.of('ack').length === 1, 'the lock ack while the save is still pending');
    expect(link.of('ack')[0]).toMatchObject({ id: 'k1', ok: true, state: { locked: true } });
    expect(desktop.calls).toContain('lock:Dừng tay');
    expect(saves.at(-1)).toMatchObject({ locked: true, lockMessage: 'Dừng tay' });
    release();
    failNext = true;
    agent.onMessage(link, { type: 'command', id: 'k2', command: { name: 'unlock' } });
    await until(() => link.of('ack').length === 2, 'the unlock ack');
    expect(link.of('ack')[1]).toMatchObject({ id: 'k2', ok: true, state: { locked: false } });
    await until(() => logs.includes('state-save-failed'), 'the failed save logged');
    expect(saves.at(-1)).toMatchObject({ locked: false });
  });

  it('drops the lock when the console removed the PC, and a lock command still running cannot save it back', async () => {
    const saves: PersistedState[] = [];
    const { agent, link } = makeAgent({
      state: { ...initialState, locked: true, lockMessage: 'Kiểm tra' },
      saveState: async (state) => void saves.push(structuredClone(state)),
    });
    agent.onAuthenticated(link, welcome);
    // A lock arrives and is still on its way to the screen (FakeDesktop.lock takes a tick) when
    // the console says this PC was removed.
    agent.onMessage(link, { type: 'command', id: 'late', command: { name: 'lock', message: 'Muộn' } });
    await agent.removed();
    await tick(20);
    expect(saves.at(-1)).toMatchObject({ locked: false });
    expect(saves.at(-1)).not.toHaveProperty('lockMessage');
    expect(saves.filter((s) => s.locked && s.lockMessage === 'Muộn')).toEqual([]);
  });

  it('answers a lock the desktop could not show with lock-not-shown, in the desktop’s own words, and stays unlocked', async () => {
    const { agent, desktop, link, saved } = makeAgent();
    agent.onAuthenticated(link, welcome);
    desktop.failLock = new Error('cannot use X display :7: connect ENOENT /tmp/.X11-unix/X7');
    agent.onMessage(link, { type: 'command', id: 'k1', command: { name: 'lock', message: 'Dừng tay' } });
    await until(() => link.of('ack').length === 1, 'the ack');
    expect(link.of('ack')[0]).toEqual({
      type: 'ack',
      id: 'k1',
      ok: false,
      error: { code: lockNotShownCode, message: 'cannot use X display :7: connect ENOENT /tmp/.X11-unix/X7' },
      state: { locked: false, lessonActive: false },
    });
    expect(lockNotShownCode).toBe('lock-not-shown');
    expect(saved.some((state) => state.locked)).toBe(false);
    // The desktop forgets the lock it could not show, so it never comes up later unasked.
    expect(desktop.calls).toContain('unlock');
  });

  it('tells the console when a student starts fighting the lock, and when the lock is gone', async () => {
    const { agent, desktop, link, logs } = makeAgent();
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, { type: 'command', id: 'k1', command: { name: 'lock', message: 'x' } });
    await until(() => link.of('ack').length === 1, 'the lock ack');
    desktop.setIssue('contested');
    expect(link.of('state')).toEqual([{ type: 'state', state: { locked: true, lockMessage: 'x', lessonActive: false, lockIssue: 'contested' } }]);
    expect(logs).toContain('lock-issue');
    agent.onMessage(link, { type: 'command', id: 'k2', command: { name: 'unlock' } });
    await until(() => link.of('ack').length === 2, 'the unlock ack');
    // Unlocked, no issue travels any more.
    expect(link.of('ack')[1]!.state).toEqual({ locked: false, lessonActive: false });
    expect(link.of('state').at(-1)!.state.lockIssue).toBeUndefined();
  });
});

describe('screens are shared only inside a lesson, with the indicator up', () => {
  const ask = (requestId: number) => ({ type: 'thumbnail' as const, requestId, width: 320, quality: 60, screen: 'all' as const });

  it('refuses a picture when no lesson runs, with a clear error, no capture and a local note', async () => {
    const { agent, desktop, link, logs } = makeAgent();
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, ask(1));
    await tick(5);
    expect(desktop.calls.filter((c) => c.startsWith('capture'))).toEqual([]);
    expect(link.frames).toHaveLength(0);
    expect(link.of('thumbnailError')).toEqual([
      { type: 'thumbnailError', requestId: 1, error: { code: 'not-in-lesson', message: expect.stringContaining('only during a lesson') } },
    ]);
    expect(logs).toContain('thumbnail-refused');
  });

  it('shares once a lesson is acknowledged and stops the moment it ends', async () => {
    const { agent, desktop, link } = makeAgent();
    agent.onAuthenticated(link, welcome);
    expect(link.of('hello')[0]!.state.lessonActive).toBe(false);
    agent.onMessage(link, { type: 'command', id: 'start', command: { name: 'setLesson', lesson: lesson7A } });
    await until(() => link.of('ack').length === 1, 'the lesson ack');
    expect(link.of('ack')[0]).toMatchObject({ ok: true, state: { lessonActive: true } });
    agent.onMessage(link, ask(2));
    await until(() => link.frames.length === 1, 'a frame in the lesson');
    agent.onMessage(link, { type: 'command', id: 'end', command: { name: 'setLesson', lesson: { active: false, language: 'vi' } } });
    await until(() => link.of('ack').length === 2, 'the end ack');
    expect(link.of('ack')[1]).toMatchObject({ ok: true, state: { lessonActive: false } });
    agent.onMessage(link, ask(3));
    await tick(5);
    expect(link.frames).toHaveLength(1);
    expect(link.of('thumbnailError').map((e) => [e.requestId, e.error.code])).toEqual([[3, 'not-in-lesson']]);
    expect(desktop.calls.filter((c) => c.startsWith('capture'))).toHaveLength(1);
  });

  it('right after reconnecting into a lesson, captures only once the indicator is up', async () => {
    const { agent, desktop, link } = makeAgent();
    desktop.indicatorDelayMs = 30;
    agent.onAuthenticated(link, inLesson);
    // Hello says the lesson is on (the badge is on its way), so the console may ask at once.
    expect(link.of('hello')[0]!.state.lessonActive).toBe(true);
    agent.onMessage(link, ask(4));
    await until(() => link.frames.length === 1, 'the frame');
    expect(desktop.calls).toEqual(['indicator:true:7A1', 'capture:320']);
    expect(link.of('thumbnailError')).toEqual([]);
  });

  it('keeps the screen private when the indicator cannot be shown, and says so', async () => {
    const { agent, desktop, link } = makeAgent();
    desktop.failIndicator = true;
    agent.onAuthenticated(link, welcome);
    agent.onMessage(link, { type: 'command', id: 'start', command: { name: 'setLesson', lesson: lesson7A } });
    await until(() => link.of('ack').length === 1, 'the lesson ack');
    expect(link.of('ack')[0]).toMatchObject({ ok: false, error: { code: 'command-failed' }, state: { lessonActive: false } });
    agent.onMessage(link, ask(5));
    await tick(5);
    expect(desktop.calls.filter((c) => c.startsWith('capture'))).toEqual([]);
    expect(link.of('thumbnailError').map((e) => e.error.code)).toEqual(['not-in-lesson']);

    // Reconnecting into the running lesson while the badge still fails: hello says not watchable
    // once the failure is known, and a request in the meantime is refused as indicator-not-shown.
    const again = new FakeLink();
    agent.onAuthenticated(again, inLesson);
    agent.onMessage(again, ask(6));
    await until(() => again.of('thumbnailError').length === 1, 'the refusal');
    expect(again.of('thumbnailError')[0]!.error.code).toBe('indicator-not-shown');
    expect(agent.agentState.lessonActive).toBe(false);
    expect(again.frames).toHaveLength(0);
  });

  it('restores the indicator of a persisted lesson before it shares anything', async () => {
    const { agent, desktop, link } = makeAgent({ state: { locked: false, lesson: lesson7A, savedAt: 1 } });
    expect(agent.agentState.lessonActive).toBe(false);
    await agent.restore();
    expect(agent.agentState.lessonActive).toBe(true);
    agent.onAuthenticated(link, inLesson);
    agent.onMessage(link, ask(7));
    await until(() => link.frames.length === 1, 'the frame');
    expect(desktop.calls).toEqual(['indicator:true:7A1', 'capture:320']);
  });
});
