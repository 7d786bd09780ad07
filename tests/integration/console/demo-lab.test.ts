// The demo lab: simulated PCs that are real agent processes, enrolled over the real wire on the
// first start, reused on the next, and stopped with the console.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLabName } from '../../../src/main/demo-lab.js';
import { machineReady } from '../helpers/console-api.js';
import { freePort, removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { assertBuilt } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const demoMachines = 3;
let dataDir: string;
let agentPort: number;
let console_: TestConsole | null = null;

/**
 * Agent processes whose data dir is inside this test's data dir. An agent's own short-lived
 * children (the commands systeminformation runs) show its command line between fork and exec,
 * so processes whose parent is such an agent are not counted.
 */
function demoAgentProcesses(): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[3]!.includes('agent/cli.js') && m[3]!.includes(dataDir));
  const agentPids = new Set(rows.map((m) => m[1]));
  return rows.filter((m) => !agentPids.has(m[2])).map((m) => m[3]!);
}

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('demo');
  agentPort = await freePort();
});

afterAll(async () => {
  await console_?.close();
  removeDir(dataDir);
});

describe('demo lab', { timeout: 60_000 }, () => {
  it('enrols its simulated PCs over the wire and shows them online in the demo lab', async () => {
    console_ = await startTestConsole({ dataDir, agentPort, demo: true, demoMachines });
    for (let i = 1; i <= demoMachines; i++) await console_.events.waitFor(machineReady(`PC-0${i}`), 30_000, `PC-0${i} ready`, 0);
    const lab = (await console_.runtime.api.call('labs.list', {})).find((l) => l.name === demoLabName)!;
    expect(lab.machineCount).toBe(demoMachines);
    expect((await console_.runtime.api.call('console.status', {})).demo).toBe(true);
    expect(await console_.runtime.api.call('enrolment.active', {})).toEqual([]);
    // The last demo PC has two monitors (to try the live view's monitor choice); the others one.
    const screens = (await console_.runtime.api.call('machines.list', { labId: lab.id })).map((m) => [m.name, m.screens.length]);
    expect(screens.sort()).toEqual([
      ['PC-01', 1],
      ['PC-02', 1],
      ['PC-03', 2],
    ]);
  });

  it('stops every demo agent when the console stops', async () => {
    expect(demoAgentProcesses()).toHaveLength(demoMachines);
    await console_!.close();
    console_ = null;
    await until(() => demoAgentProcesses().length === 0, 5000, 'the demo agents to exit');
  });

  it('reuses the enrolled PCs on the next start instead of enrolling new ones', async () => {
    console_ = await startTestConsole({ dataDir, agentPort, demo: true, demoMachines });
    for (let i = 1; i <= demoMachines; i++) await console_.events.waitFor(machineReady(`PC-0${i}`), 30_000, `PC-0${i} ready again`, 0);
    expect(console_.log.has(/demo: enrolling/)).toBe(false);
    expect(await console_.runtime.api.call('machines.list', {})).toHaveLength(demoMachines);
  });

  it('enrols the PCs again when the console moved to another port, leaving no stale machines', async () => {
    await console_!.close();
    console_ = await startTestConsole({ dataDir, agentPort: 0, demo: true, demoMachines });
    for (let i = 1; i <= demoMachines; i++) {
      await console_.events.waitFor((e) => machineReady(`PC-0${i}`)(e), 30_000, `PC-0${i} ready on the new port`, 0);
    }
    expect(console_.log.has(/demo: enrolling 3 simulated PCs/)).toBe(true);
    const machines = await console_.runtime.api.call('machines.list', {});
    expect(machines.map((m) => m.name).sort()).toEqual(['PC-01', 'PC-02', 'PC-03']);
    expect(machines.every((m) => m.online)).toBe(true);
  });
});
