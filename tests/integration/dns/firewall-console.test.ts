// What the console shows for a PC whose DNS firewall could not be put in force: a real console
// process and a real agent process whose kernel refuses the rules (it runs as an unprivileged
// user, as an agent installed without rights would). The agent filters on, logs why once, and the
// console shows the truth: the filter is applied (the PC's resolver uses it), with a warning that
// programs can go round it (firewall-failed, with the kernel's words), never "not filtering"; the
// IT command line says the same and exits 0. The same PC with --dns-firewall off is "applied" with
// no warning. The refused agent never changes this machine's firewall: the test first checks that
// the kernel refuses that user.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineFilterStatus } from '../../../src/shared/api/contract.js';
import { translate } from '../../../src/shared/i18n/index.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { builtFile } from '../helpers/paths.js';
import { exited, spawnTracked, stopAllChildren } from '../helpers/processes.js';
import { enrolAgent, RunningAgent } from '../helpers/real-agent.js';
import { LineLog, until, withTimeout } from '../helpers/wait.js';
import { assertFilteringBuilt, digA } from '../web-filtering/filtering-helpers.js';

const unprivileged = 65534;

let dataDir: string;
let agentDir: string;
let console_: ConsoleProcess;
let machineId: string;
let unavailable = '';

function nftAsUnprivileged(): Promise<string> {
  return new Promise((resolve) => {
    execFile('setpriv', [`--reuid=${unprivileged}`, `--regid=${unprivileged}`, '--clear-groups', 'nft', 'list', 'tables'], { timeout: 10_000 }, (error, _stdout, stderr) =>
      resolve(error ? String(stderr) : 'allowed'),
    );
  });
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) chownTree(file, uid);
    else chownSync(file, uid, uid);
  }
}

function startAgent(options: { asUnprivileged: boolean; firewall: 'on' | 'off' }): RunningAgent {
  const agentArgs = [
    builtFile('agent/cli.js'), 'run', '--platform', 'simulated', '--data-dir', agentDir, '--hostname', 'PC-11',
    // No upstream on loopback: the firewall would refuse it as a loop before asking the kernel.
    '--dns-listen', '127.0.0.1:0', '--dns-upstream', '192.0.2.53:53', '--system-resolver', 'off', '--dns-firewall', options.firewall,
  ];
  const [command, args] = options.asUnprivileged
    ? ['setpriv', [`--reuid=${unprivileged}`, `--regid=${unprivileged}`, '--clear-groups', process.execPath, ...agentArgs]]
    : [process.execPath, agentArgs];
  return new RunningAgent(spawnTracked(command, args as string[], { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '' } }), 'PC-11');
}

async function waitForStatus(what: string, check: (s: MachineFilterStatus) => boolean): Promise<MachineFilterStatus> {
  let last: MachineFilterStatus | undefined;
  await until(
    async () => {
      last = (await console_.api.call('filtering.status', {})).machines.find((m) => m.machineId === machineId);
      return last !== undefined && check(last);
    },
    30_000,
    `${what} (last: ${JSON.stringify(last)})`,
    100,
  );
  return last!;
}

async function cli(...args: string[]): Promise<{ code: number | string; out: string }> {
  const child = spawnTracked(process.execPath, [builtFile('main/cli.js'), '--data-dir', path.join(dataDir, 'console'), ...args], {
    env: { ...process.env, SAFELAB_DATA_DIR: '' },
  });
  const out = new LineLog(child.stdout, child.stderr);
  const code = await withTimeout(exited(child), 20_000, `safelab cli ${args.join(' ')}`);
  return { code, out: out.text() };
}

async function filterPort(agent: RunningAgent): Promise<number> {
  const line = await agent.log.waitFor(/dns-listening/, 20_000);
  return Number(/127\.0\.0\.1#(\d+)/.exec(line)![1]);
}

beforeAll(async () => {
  assertFilteringBuilt();
  if (process.getuid?.() !== 0) {
    unavailable = 'needs root to start an agent as another user';
    return;
  }
  const refusal = await nftAsUnprivileged();
  if (!/Operation not permitted/.test(refusal)) {
    unavailable = `the kernel does not refuse nft to uid ${unprivileged} here (${refusal.trim().slice(0, 100)})`;
    return;
  }
  dataDir = tempDataDir('firewall-console');
  // The unprivileged agent must reach its data folder.
  chmodSync(dataDir, 0o755);
  agentDir = path.join(dataDir, 'agent');
  console_ = await startConsoleProcess({ dataDir: path.join(dataDir, 'console'), agentPort: await freePort() });
  const labId = (await console_.api.call('labs.list', {}))[0]!.id;
  const { code } = await console_.api.call('enrolment.create', { labId });
  const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-11', consoleUrl: console_.agentUrl, code });
  if (enrolled.exitCode !== 0) throw new Error(enrolled.output);
  machineId = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
  chownTree(agentDir, unprivileged);
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  removeDir(dataDir);
});

describe('a PC whose DNS firewall cannot be put in force', { timeout: 60_000 }, () => {
  it('filters on, says why once, and the console shows it as filtering with a warning that programs can go round it', async (ctx) => {
    if (unavailable) ctx.skip();
    const agent = startAgent({ asUnprivileged: true, firewall: 'on' });
    const port = await filterPort(agent);
    const status = await waitForStatus('PC-11 applied with the firewall-failed warning', (s) => s.state === 'applied' && s.warning === 'firewall-failed');
    // Not a PC that filters nothing: no reason, and the agent's own words go with the warning.
    expect(status.reason).toBeUndefined();
    expect(status.detail).toMatch(/Operation not permitted/);
    // The filter itself runs and holds the lab's rules: the PC is only open to programs that go round it.
    expect(status.listening).toEqual([`127.0.0.1:${port}`]);
    expect(await digA(port, 'dns.google')).toEqual(['0.0.0.0']);
    expect(agent.log.lines.filter((l) => l.includes('dns-firewall-failed'))).toEqual([expect.stringMatching(/code=firewall-refused/)]);
    // IT staff read what is left open, in both languages.
    expect(translate('vi', 'filtering.warning.firewall-failed')).toMatch(/nftables.*đi vòng qua bộ lọc/);
    expect(translate('en', 'filtering.warning.firewall-failed')).toMatch(/nftables.*go round the filter/);
    // The command line agrees: applied, the warning spelled out, and success as its exit code.
    const filterStatus = await cli('filter', 'status');
    expect(filterStatus.code, filterStatus.out).toBe(0);
    expect(filterStatus.out).toMatch(/PC-11 +applied — warning: firewall-failed \(Its DNS firewall could not be turned on/);
    const lab = (await console_.api.call('labs.list', {}))[0]!;
    const set = await cli('filter', 'set', '--lab', lab.id, '--profile', 'preset-thpt');
    expect(set.code, set.out).toBe(0);
    expect(set.out).toMatch(/PC-11 +applied — warning: firewall-failed/);
    await agent.stop();
    // Nothing to remove: nothing was put in force.
    expect(agent.log.has(/dns-firewall-remove/)).toBe(false);
  });

  it('with --dns-firewall off, reports nothing about it and the console says applied, with no warning', async (ctx) => {
    if (unavailable) ctx.skip();
    const agent = startAgent({ asUnprivileged: true, firewall: 'off' });
    await filterPort(agent);
    const status = await waitForStatus('PC-11 applied without a warning', (s) => s.state === 'applied' && s.warning === undefined);
    expect(status.detail).toBeUndefined();
    expect(agent.log.has(/dns-firewall/)).toBe(false);
    await agent.stop();
  });
});
