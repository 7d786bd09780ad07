// A desktop that cannot be opened yet (no X session at boot, a Wayland greeter): the agent core runs
// on with a stand-in that says why, refuses what needs a screen, tries again with capped backoff (one
// timer, never a busy loop), and once the real desktop opens puts the saved lock and the lesson
// badge up and tells the console. The platform choice decides where that waiting applies.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { initialState } from '../../../src/agent/config.js';
import type { ConsoleLink } from '../../../src/agent/connection.js';
import { DesktopNotOpenError, PendingDesktop } from '../../../src/agent/platform/pending-desktop.js';
import { chooseDesktop, resumeProgramsLeftPaused } from '../../../src/agent/platform/select.js';
import type { SessionDesktop } from '../../../src/agent/platform/session-desktop.js';
import { readProcessSync } from '../../../src/agent/platform/linux/paused-programs.js';
import { createSimulatedDesktop } from '../../../src/agent/platform/simulated/desktop.js';
import { translate } from '../../../src/shared/i18n/index.js';
import type { AgentMessage } from '../../../src/shared/protocol/messages.js';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

/** An opener that fails with `reasons` in turn, then opens a real simulated desktop (which records what it is asked). */
function opener(reasons: string[]) {
  const calls: string[] = [];
  let opened: SessionDesktop | null = null;
  const tries: number[] = [];
  const open = async (): Promise<SessionDesktop> => {
    tries.push(Date.now());
    const reason = reasons.shift();
    if (reason) throw new Error(reason);
    const desktop = createSimulatedDesktop({ hostname: 'lab1-pc09' });
    await desktop.start();
    opened = desktop;
    for (const name of ['lock', 'unlock', 'setMonitoringIndicator'] as const) {
      const real = desktop[name].bind(desktop) as (...args: unknown[]) => Promise<void>;
      (desktop as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        calls.push(`${name}:${JSON.stringify(args[0] ?? null)}`);
        return real(...args);
      };
    }
    return desktop;
  };
  return { open, calls, tries, opened: () => opened };
}

/** The state letter of /proc/<pid>/stat ('T': stopped). */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

const fastPolicy = { initialDelayMs: 20, maxDelayMs: 80, jitterRatio: 0 };
const desktops: PendingDesktop[] = [];
afterEach(async () => {
  for (const d of desktops.splice(0)) await d.close();
});

function pending(open: () => Promise<SessionDesktop>, lines: string[] = [], policy = fastPolicy): PendingDesktop {
  const desktop = new PendingDesktop({ platform: 'linux', open, firstFailure: 'cannot use X display :0: connect ENOENT', log: (event, fields) => lines.push(`${event} ${JSON.stringify(fields ?? {})}`), policy });
  desktops.push(desktop);
  return desktop;
}

describe('a desktop that cannot be opened yet', () => {
  it('says why, refuses what needs the screen, and lets unlocking and hiding the badge through', async () => {
    const desktop = pending(opener(['still no X', 'still no X', 'still no X', 'still no X']).open, [], { initialDelayMs: 60_000, maxDelayMs: 60_000, jitterRatio: 0 });
    expect(desktop.problem()).toEqual({ code: 'desktop-unavailable', detail: 'cannot use X display :0: connect ENOENT' });
    expect(desktop.sessionInfo()).toEqual({ user: null, screens: [] });
    await expect(desktop.lock('Nhìn lên bảng')).rejects.toBeInstanceOf(DesktopNotOpenError);
    await expect(desktop.showMessage('hi')).rejects.toThrow(/cannot show the message: the desktop is not open yet \(cannot use X display :0/);
    await expect(desktop.capture({ width: 320, quality: 60, screen: 'all' })).rejects.toMatchObject({ code: 'desktop-unavailable' });
    await expect(desktop.setMonitoringIndicator({ visible: true, language: 'vi' })).rejects.toBeInstanceOf(DesktopNotOpenError);
    await desktop.setMonitoringIndicator({ visible: false, language: 'vi' });
    await desktop.unlock();
    expect(desktop.lockIssue()).toBeNull();
  });

  it('tries again with growing waits up to the cap, one try at a time, logging only when the reason changes', async () => {
    const lines: string[] = [];
    const o = opener(['no X', 'no X', 'no X', 'Xauthority refused', 'Xauthority refused']);
    const desktop = pending(o.open, lines);
    const problems: (string | null)[] = [];
    desktop.onProblem((p) => problems.push(p?.detail ?? null));
    await until(() => desktop.opened !== null, 'the desktop to open');
    expect(o.tries).toHaveLength(6);
    const gaps = o.tries.slice(1).map((at, i) => at - o.tries[i]!);
    // 20, 40, 80, 80, 80 ms (timers may run late, never early).
    for (const [i, least] of [20, 40, 80, 80, 80].entries()) expect(gaps[i]).toBeGreaterThanOrEqual(least - 2);
    expect(problems).toEqual(['no X', 'Xauthority refused', null]);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['desktop-unavailable', 'desktop-unavailable', 'desktop-unavailable', 'desktop-opened']);
    expect(lines.at(-1)).toContain('"tries":7');
  });

  it('stops trying once closed, and closes a desktop that opens too late', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let opens = 0;
    let closedLate = false;
    const desktop = pending(async () => {
      opens++;
      await gate;
      const real = createSimulatedDesktop({ hostname: 'x' });
      real.close = async () => void (closedLate = true);
      return real;
    });
    await until(() => opens === 1, 'the first retry');
    const closing = desktop.close();
    release();
    await closing;
    expect(closedLate).toBe(true);
    expect(desktop.opened).toBeNull();
    await tick(200);
    expect(opens).toBe(1);
  });
});

describe('the agent core with a desktop that opens late', () => {
  it('reports the problem in hello, puts the saved lock and the lesson badge up once the desktop opens, and tells the console', async () => {
    const o = opener(['no X yet', 'no X yet']);
    const desktop = pending(o.open);
    const sent: AgentMessage[] = [];
    const lesson = { active: true, lessonId: 'l-1', className: '7A', language: 'vi' as const };
    const agent = new Agent({
      desktop,
      identity: { hostname: 'lab1-pc09', os: { platform: 'linux', release: 'x' }, agentVersion: '0', desktop: 'linux' },
      state: { ...initialState, locked: true, lockMessage: 'Nhìn lên bảng', lesson },
      saveState: () => {},
      inventory: () => new Promise(() => {}),
      log: () => {},
    });
    // Nothing to put a lock on yet: restoring waits instead of failing the start.
    await agent.restore();
    const link: ConsoleLink = { send: (m: AgentMessage) => void sent.push(m), sendFrame: () => {}, bufferedBytes: () => 0, isOpen: true };
    agent.onAuthenticated(link, { type: 'welcome', machineId: 'm-00000001', lesson });
    const hello = sent.find((m) => m.type === 'hello') as Extract<AgentMessage, { type: 'hello' }>;
    expect(hello.state).toMatchObject({ locked: true, desktopProblem: { code: 'desktop-unavailable', detail: 'cannot use X display :0: connect ENOENT' } });
    expect(hello.session).toEqual({ user: null, screens: [] });

    await until(() => sent.some((m) => m.type === 'state' && !m.state.desktopProblem && m.state.lessonActive), 'a state without the problem');
    expect(o.calls).toEqual(['lock:"Nhìn lên bảng"', `setMonitoringIndicator:${JSON.stringify({ visible: true, language: 'vi', className: '7A' })}`]);
    const session = sent.find((m) => m.type === 'session') as Extract<AgentMessage, { type: 'session' }>;
    expect(session.session.user).toBe('hs09');
    expect(agent.agentState).toMatchObject({ locked: true, lessonActive: true });
    expect(agent.agentState.desktopProblem).toBeUndefined();
    agent.close();
  });
});

describe('choosing the desktop before opening it', () => {
  it('waits for a Linux desktop on Linux, asked for or not, and refuses only what cannot exist here', () => {
    expect(chooseDesktop(undefined, { language: 'en', osPlatform: 'linux' })).toEqual({ platform: 'linux', keepTrying: true });
    expect(chooseDesktop('linux', { language: 'en', osPlatform: 'linux' })).toEqual({ platform: 'linux', keepTrying: true });
    expect(chooseDesktop('simulated', { language: 'en', osPlatform: 'darwin' })).toEqual({ platform: 'simulated', keepTrying: false });
    expect(chooseDesktop('linux', { language: 'en', osPlatform: 'win32' })).toEqual({ refused: ['linux: not Linux'] });
    expect(chooseDesktop('win32', { language: 'vi', osPlatform: 'linux' })).toEqual({ refused: [`win32: ${translate('vi', 'agent.platform.notWindows')}`] });
    expect(chooseDesktop(undefined, { language: 'en', osPlatform: 'win32' })).toEqual({ refused: [`win32: ${translate('en', 'agent.platform.win32Missing')}`] });
    expect(chooseDesktop(undefined, { language: 'en', osPlatform: 'freebsd' })).toEqual({ refused: ['linux: not Linux', 'win32: not Windows'] });
  });

  it.runIf(process.platform === 'linux')('resumes programs a crashed run left paused before any desktop opens: its display’s note, or every note when no display is known', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'safelab-paused-'));
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await until(() => readProcessSync(sleeper.pid!) !== null, 'sleep to start');
      process.kill(sleeper.pid!, 'SIGSTOP');
      await until(() => stateOf(sleeper.pid!) === 'T', 'sleep to stop');
      const note = join(folder, 'lock-_77.json');
      writeFileSync(note, JSON.stringify({ display: ':77', paused: [{ pid: sleeper.pid, startTicks: readProcessSync(sleeper.pid!)!.startTicks }] }));
      const lines: string[] = [];
      const log = (event: string, fields?: Record<string, unknown>): void => void lines.push(`${event} ${JSON.stringify(fields ?? {})}`);
      // Another display's agent: not its note.
      expect(await resumeProgramsLeftPaused(log, { display: ':78', notesFolder: folder })).toBe(0);
      expect(stateOf(sleeper.pid!)).toBe('T');
      expect(await resumeProgramsLeftPaused(log, { notesFolder: folder })).toBe(1);
      await until(() => stateOf(sleeper.pid!) !== 'T', 'sleep to run again');
      expect(existsSync(note)).toBe(false);
      expect(lines).toEqual([expect.stringMatching(/lock\.programs-resumed count=1 reason=left-paused-by-previous-run/)]);
    } finally {
      sleeper.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('finds nothing to resume where no notes of paused programs were left, and never on another OS', async () => {
    const lines: string[] = [];
    expect(await resumeProgramsLeftPaused((e) => lines.push(e), { notesFolder: '/nonexistent/safelab-test' })).toBe(0);
    // A note that Linux would act on (and remove) is left alone on Windows.
    const folder = mkdtempSync(join(tmpdir(), 'safelab-paused-'));
    try {
      const note = join(folder, 'lock-_0.json');
      writeFileSync(note, JSON.stringify({ display: ':0', paused: [] }));
      expect(await resumeProgramsLeftPaused((e) => lines.push(e), { osPlatform: 'win32', notesFolder: folder })).toBe(0);
      expect(readFileSync(note, 'utf8')).toBe(JSON.stringify({ display: ':0', paused: [] }));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(lines).toEqual([]);
  });
});
