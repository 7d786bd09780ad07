// A Linux PC whose desktop cannot be opened (no X session yet: boot, a Wayland greeter, a broken
// Xauthority), with a real console process and a real agent process: the agent does not exit, its
// web filter answers with the console's rules, the console shows the PC online with the problem
// (and a lock the teacher tries fails, saying why); once an X server appears on that display the
// agent opens it by itself, the problem goes and the screen is reported. An agent asked for a
// platform that cannot exist here still refuses (exit 6) in both languages.
//
// Nothing here touches this machine's resolver or firewall: --system-resolver off, and nft left off
// PATH so even the leftover-firewall check finds no tool to run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../../src/shared/api/contract.js';
import { bilingual } from '../../../src/shared/i18n/index.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { builtFile } from '../helpers/paths.js';
import { spawnTracked, stopAllChildren, stopChild } from '../helpers/processes.js';
import { enrolAgent, RunningAgent } from '../helpers/real-agent.js';
import { until } from '../helpers/wait.js';
import { assertFilteringBuilt, digA } from '../web-filtering/filtering-helpers.js';

/** Without /usr/sbin: no nft for the agent to run (see the top). */
const pathWithoutSbin = '/usr/local/bin:/usr/bin:/bin';
/** The agent's first retries come after 2 s, 4 s, 8 s, 16 s (pending-desktop.ts): bound the wait above their sum. */
const desktopOpenedWithinMs = 45_000;

let dataDir: string;
let agentDir: string;
let console_: ConsoleProcess;
let machineId: string;
let display: string;
let xvfb: ChildProcess | null = null;

/** A display number nobody uses now (no lock file, no socket). */
function freeDisplay(): string {
  for (let n = 150 + Math.floor(Math.random() * 100); n < 400; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return `:${n}`;
  }
  throw new Error('no free X display number');
}

async function startXvfbOn(name: string): Promise<ChildProcess> {
  const child = spawn('Xvfb', [name, '-screen', '0', '1024x768x24', '-nolisten', 'tcp', '-noreset'], { stdio: 'ignore' });
  await until(() => existsSync(`/tmp/.X11-unix/X${name.slice(1)}`), 10_000, `Xvfb on ${name}`);
  return child;
}

function startAgent(args: string[]): RunningAgent {
  const child = spawnTracked(
    process.execPath,
    [builtFile('agent/cli.js'), 'run', '--data-dir', agentDir, '--hostname', 'PC-NODESK', '--system-resolver', 'off', '--dns-firewall', 'off', ...args],
    { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '', DISPLAY: '', XAUTHORITY: '', PATH: pathWithoutSbin } },
  );
  return new RunningAgent(child, 'PC-NODESK');
}

async function thisMachine(): Promise<Machine | undefined> {
  return (await console_.api.call('machines.list', {})).find((m) => m.id === machineId);
}

async function machineWhen(what: string, check: (m: Machine) => boolean): Promise<Machine> {
  let last: Machine | undefined;
  await until(
    async () => {
      last = await thisMachine();
      return last !== undefined && check(last);
    },
    desktopOpenedWithinMs,
    `${what} (last: ${JSON.stringify(last)})`,
    200,
  );
  return last!;
}

beforeAll(async () => {
  assertFilteringBuilt();
  dataDir = tempDataDir('desktop-unavailable');
  agentDir = path.join(dataDir, 'agent');
  console_ = await startConsoleProcess({ dataDir: path.join(dataDir, 'console'), agentPort: await freePort() });
  const labId = (await console_.api.call('labs.list', {}))[0]!.id;
  const { code } = await console_.api.call('enrolment.create', { labId });
  const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-NODESK', consoleUrl: console_.agentUrl, code });
  if (enrolled.exitCode !== 0) throw new Error(enrolled.output);
  machineId = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
  display = freeDisplay();
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  if (xvfb) await stopChild(xvfb, 'SIGTERM', 3000);
  removeDir(dataDir);
});

describe('a Linux PC whose desktop cannot be opened', { timeout: 120_000 }, () => {
  it('keeps filtering and its console link, reports the problem, and opens the desktop by itself once X is there', async () => {
    const agent = startAgent(['--platform', 'linux', '--display', display, '--dns-listen', '127.0.0.1:0', '--dns-upstream', '192.0.2.53:53']);
    const listening = await agent.log.waitFor(/dns-listening/, 20_000);
    const port = Number(/127\.0\.0\.1#(\d+)/.exec(listening)![1]);
    await agent.log.waitFor(/desktop-unavailable reason=.*:\d+/, 20_000);
    // IT staff reading the service log get it in both languages.
    const notice = bilingual('agent.desktop.keepTrying', { reason: display });
    await agent.log.waitFor(new RegExp(notice.en.split(display)[0]!.replace(/[()]/g, '\\$&')), 10_000);
    expect(agent.log.text()).toContain(notice.vi.split(display)[0]!);

    // The console sees the PC online, driven as a Linux desktop, with the problem on its tile.
    const seen = await machineWhen('the PC online with its desktop problem', (m) => m.online && m.state.desktopProblem?.code === 'desktop-unavailable');
    expect(seen.desktop).toBe('linux');
    expect(seen.screens).toEqual([]);
    expect(seen.state.desktopProblem!.detail).toContain(display);
    // The web filter holds the console's rules all the same: an encrypted-DNS provider is blocked.
    await until(async () => (await console_.api.call('filtering.status', {})).machines.some((m) => m.machineId === machineId && m.state === 'applied'), 30_000, 'the filter applied');
    expect(await digA(port, 'dns.google')).toEqual(['0.0.0.0']);
    // A lock asked for now fails, saying why, rather than report a screen nobody covered as locked.
    const outcome = await console_.api.call('commands.run', { machineIds: [machineId], command: { name: 'lock', message: 'Nhìn lên bảng' } });
    expect(outcome.results).toEqual([expect.objectContaining({ status: 'failed', detail: expect.stringMatching(/desktop is not open yet/) })]);
    expect((await thisMachine())!.state.locked).toBe(false);
    expect(agent.child.exitCode).toBeNull();

    // The X server comes up (the student logged in): the agent finds it on its next try.
    xvfb = await startXvfbOn(display);
    const opened = await machineWhen('the desktop opened', (m) => m.online && m.state.desktopProblem === undefined && m.screens.length === 1);
    expect(opened.screens[0]).toMatchObject({ width: 1024, height: 768 });
    expect(agent.log.has(/desktop-opened platform=linux/)).toBe(true);
    // Now the lock works.
    const locked = await console_.api.call('commands.run', { machineIds: [machineId], command: { name: 'lock', message: 'Nhìn lên bảng' } });
    expect(locked.results).toEqual([expect.objectContaining({ status: 'done' })]);
    await console_.api.call('commands.run', { machineIds: [machineId], command: { name: 'unlock' } });
    expect(await agent.stop()).toBe(0);
  });

  it('still refuses a platform that cannot exist on this OS (exit 6, both languages)', async () => {
    const agent = startAgent(['--platform', 'win32', '--dns-listen', '127.0.0.1:0']);
    expect(await agent.exited(20_000)).toBe(6);
    // The reasons are in the agent's language (Vietnamese by default), the sentence around them in both.
    const reasons = `win32: ${bilingual('agent.platform.notWindows').vi}`;
    const text = agent.log.text();
    expect(text).toContain(bilingual('agent.platform.unavailable', { reasons }).vi);
    expect(text).toContain(bilingual('agent.platform.unavailable', { reasons }).en);
    // It never got as far as a filter.
    expect(agent.log.has(/dns-listening/)).toBe(false);
  });
});
