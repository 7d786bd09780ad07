// The demo lab: a lab of simulated PCs that are real agent processes (the agent core with the
// simulated desktop), enrolled through the real wire on first start. Lets anyone try SafeLab on
// one computer, and exercises the same code paths a school lab does.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import type { ConsoleApiClient } from '../shared/api/contract.js';
import { bilingual } from '../shared/i18n/index.js';

export const demoLabName = 'Phòng máy demo';
export const demoMachineCount = 12;
/** How many demo PCs enrol at once (each stretches the code with PBKDF2). */
const enrolConcurrency = 3;
/** How long one demo enrolment may take before it is given up. */
const enrolTimeoutMs = 60_000;
/** How long stopping waits for the demo agents before killing them. */
const stopGraceMs = 3000;
/** A demo agent log larger than this is emptied at start. */
const maxDemoLogBytes = 5 * 1024 * 1024;

export interface DemoLabOptions {
  dataDir: string;
  api: ConsoleApiClient;
  /** wss://127.0.0.1:PORT/agent */
  agentUrl: string;
  projectRoot: string;
  log(line: string): void;
  machines?: number;
}

export interface DemoLab {
  /** Resolves once every demo PC is enrolled and its agent started (or given up on). */
  readonly ready: Promise<void>;
  /** Stops the demo agents (and any enrolment still running). */
  close(): Promise<void>;
}

export function demoMachineName(index: number): string {
  return `PC-${String(index).padStart(2, '0')}`;
}

interface PinnedConsole {
  machineId?: string;
  consoleUrl?: string;
  consoleFingerprint?: string;
}

function readPinnedConsole(agentDir: string): PinnedConsole | null {
  try {
    return JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as PinnedConsole;
  } catch {
    return null;
  }
}

/** The agent's variable for a simulated PC's monitor count (agent/platform/simulated; not imported: layers). */
const simulatedScreensEnvVar = 'SAFELAB_SIMULATED_SCREENS';

/** Node for child agents: inside Electron, its binary runs as plain Node with this variable. */
function nodeEnvironment(): NodeJS.ProcessEnv {
  return process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : { ...process.env };
}

function openLog(file: string): number {
  try {
    if (statSync(file).size > maxDemoLogBytes) truncateSync(file, 0);
  } catch {
    // no log yet
  }
  return openSync(file, 'a', 0o600);
}

function runOnce(args: string[], logFile: string, timeoutMs: number, children: Set<ChildProcess>): Promise<number> {
  return new Promise((resolve) => {
    const fd = openLog(logFile);
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env: nodeEnvironment() });
    closeSync(fd);
    children.add(child);
    child.once('exit', () => children.delete(child));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

/** Starts the demo lab in the background: the console is usable at once, PCs appear as they come. */
export function startDemoLab(options: DemoLabOptions): DemoLab {
  const children = new Set<ChildProcess>();
  const state = { stopping: false };
  const ready = populate(options, children, state).catch((error: unknown) => {
    if (!state.stopping) options.log(`demo: could not start the demo lab: ${(error as Error)?.message ?? String(error)}`);
  });
  return {
    ready,
    async close() {
      state.stopping = true;
      const running = [...children];
      const exited = running.map((child) =>
        child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())),
      );
      for (const child of running) child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), stopGraceMs).unref());
      if ((await Promise.race([Promise.all(exited), timeout])) === 'timeout') {
        for (const child of children) child.kill('SIGKILL');
        await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      await ready;
    },
  };
}

async function populate(options: DemoLabOptions, children: Set<ChildProcess>, state: { stopping: boolean }): Promise<void> {
  const { api, log, agentUrl } = options;
  const agentCli = path.join(options.projectRoot, 'dist', 'agent', 'cli.js');
  if (!existsSync(agentCli)) {
    const text = bilingual('errors.agentNotBuilt', { file: agentCli });
    log(`demo: ${text.vi} / ${text.en}`);
    return;
  }
  const count = options.machines ?? demoMachineCount;
  const root = path.join(options.dataDir, 'demo-agents');
  mkdirSync(root, { recursive: true, mode: 0o700 });

  const labs = await api.call('labs.list', {});
  const lab = labs.find((l) => l.name.toLowerCase() === demoLabName.toLowerCase()) ?? (await api.call('labs.create', { name: demoLabName }));
  const status = await api.call('console.status', {});
  const known = new Set((await api.call('machines.list', {})).map((m) => m.id));

  const pcs = Array.from({ length: count }, (_, i) => {
    const name = demoMachineName(i + 1);
    const dir = path.join(root, name);
    const pinned = readPinnedConsole(dir);
    // Enrol again when the PC was never enrolled, was removed, or knew another console or port.
    const needsEnrolment =
      !pinned ||
      pinned.consoleUrl !== agentUrl ||
      pinned.consoleFingerprint !== status.consoleFingerprint ||
      !pinned.machineId ||
      !known.has(pinned.machineId);
    // Re-enrolling makes a new key, hence a new machine: the old row would linger offline.
    const staleMachineId = needsEnrolment && pinned?.machineId && known.has(pinned.machineId) ? pinned.machineId : null;
    return { name, dir, logFile: path.join(root, `${name}.log`), needsEnrolment, staleMachineId };
  });

  const toEnrol = pcs.filter((pc) => pc.needsEnrolment);
  if (toEnrol.length > 0) {
    log(`demo: enrolling ${toEnrol.length} simulated PCs into "${lab.name}"`);
    for (const pc of toEnrol) if (pc.staleMachineId) await api.call('machines.remove', { machineId: pc.staleMachineId });
    const enrolment = await api.call('enrolment.create', { labId: lab.id, ttlMinutes: 10 });
    try {
      const queue = [...toEnrol];
      const workers = Array.from({ length: Math.min(enrolConcurrency, queue.length) }, async () => {
        for (let pc = queue.shift(); pc && !state.stopping; pc = queue.shift()) {
          mkdirSync(pc.dir, { recursive: true, mode: 0o700 });
          const code = await runOnce(
            [agentCli, 'enrol', '--console', agentUrl, '--code', enrolment.code, '--data-dir', pc.dir, '--hostname', pc.name],
            pc.logFile,
            enrolTimeoutMs,
            children,
          );
          if (code !== 0 && !state.stopping) log(`demo: ${pc.name} could not enrol (exit ${code}); see ${pc.logFile}`);
        }
      });
      await Promise.all(workers);
    } finally {
      // The demo code must not stay usable longer than needed.
      await api.call('enrolment.revoke', { enrolmentId: enrolment.id }).catch(() => undefined);
    }
  }

  let started = 0;
  for (const [index, pc] of pcs.entries()) {
    if (state.stopping) return;
    if (!readPinnedConsole(pc.dir)) continue;
    const fd = openLog(pc.logFile);
    // Each demo PC runs its real DNS web filter on a free loopback port (never :53, never the
    // system resolver), so the lab shows filtering in force as a real lab would.
    const args = [agentCli, 'run', '--platform', 'simulated', '--data-dir', pc.dir, '--hostname', pc.name, '--dns-listen', '127.0.0.1:0'];
    // The last demo PC has two monitors, so the live view's monitor choice can be tried.
    const twoMonitors = pcs.length > 1 && index === pcs.length - 1;
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', fd, fd],
      env: twoMonitors ? { ...nodeEnvironment(), [simulatedScreensEnvVar]: '2' } : nodeEnvironment(),
    });
    closeSync(fd);
    children.add(child);
    started++;
    child.on('error', (error) => log(`demo: ${pc.name} failed to start: ${error.message}`));
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!state.stopping) log(`demo: ${pc.name} stopped (${signal ?? `exit ${code}`}); see ${pc.logFile}`);
    });
  }
  log(`demo: ${started} simulated PCs running in "${lab.name}"`);
}
