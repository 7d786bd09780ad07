// A lock that cannot be shown at all: a real console process, a real agent process on the Linux
// desktop of a real Xvfb server, and then the X server goes away (the student signed out, the
// display manager restarted). The teacher's lock comes back failed with a code the console
// translates (lock-not-shown, Vietnamese and English), the agent's own English words only as the
// detail, and the PC is not reported locked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultDetail, resultReason } from '../../../src/renderer/screens/results/summary.js';
import { removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { enrolAgent, runAgentWith, type RunningAgent } from '../helpers/real-agent.js';
import { until } from '../helpers/wait.js';
import { requireXTools, startXvfb, type Xvfb } from './x-session.js';

/** Upper bound for anything that must happen soon (enrol, connect, answer a command). */
const soonMs = 20_000;

let consoleDir: string;
let agentDir: string;
let console_: ConsoleProcess;
let x: Xvfb | null = null;
let agent: RunningAgent;
let machineId: string;

beforeAll(async () => {
  requireXTools(['Xvfb']);
  assertBuilt();
  x = await startXvfb(800, 600);
  consoleDir = tempDataDir('lock-display-gone-console');
  agentDir = tempDataDir('lock-display-gone-agent');
  console_ = await startConsoleProcess({ dataDir: consoleDir });
  const labId = (await console_.api.call('labs.list', {}))[0]!.id;
  const { code } = await console_.api.call('enrolment.create', { labId });
  const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-21', consoleUrl: console_.agentUrl, code });
  if (enrolled.exitCode !== 0) throw new Error(enrolled.output);
  agent = runAgentWith({ dataDir: agentDir, hostname: 'PC-21', args: ['--platform', 'linux', '--display', x.display, '--dns-listen', 'off'], env: { DISPLAY: undefined } });
  await until(async () => (await console_.api.call('machines.list', {})).some((m) => m.online && m.desktop === 'linux'), soonMs, 'PC-21 online with a Linux desktop');
  machineId = (await console_.api.call('machines.list', {}))[0]!.id;
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  await x?.stop().catch(() => undefined);
  removeDir(consoleDir);
  removeDir(agentDir);
});

describe('a lock on a PC whose X server is gone', { timeout: 60_000 }, () => {
  it('fails with lock-not-shown, which the teacher reads in Vietnamese or English, and the PC is not shown locked', async () => {
    await x!.stop();
    x = null;
    await agent.log.waitFor(/desktop\.x-connection-lost/, soonMs);

    const outcome = await console_.api.call('commands.run', { machineIds: [machineId], command: { name: 'lock', message: 'Dừng tay' } });
    const [result] = outcome.results;
    expect(result).toMatchObject({ machineId, status: 'failed', reason: 'lock-not-shown' });
    // The agent's own words, for IT staff: which display, and why it cannot be used.
    expect(result!.detail).toMatch(/X display :\d+/);
    expect(resultReason('vi', result!)).toMatch(/^Không hiện được màn hình khoá/);
    expect(resultReason('en', result!)).toMatch(/^The lock could not be shown/);
    expect(resultDetail(result!)).toBe(result!.detail);

    const machine = (await console_.api.call('machines.list', {})).find((m) => m.id === machineId);
    expect(machine?.online).toBe(true);
    expect(machine?.state.locked).toBe(false);
  });
});
