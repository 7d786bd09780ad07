// Runs the built agent CLI (dist/agent/cli.js) as a real child process for integration tests,
// collecting its output and making sure every process started is killed afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './test-console.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const agentCli = join(repoRoot, 'dist/agent/cli.js');

/** Source files (src/<area>/**.ts) newer than their built .js in dist/<area>. */
function staleFiles(area: string): string[] {
  const stale: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const built = join(folder, entry.name);
      if (entry.isDirectory()) {
        // The simulated agent never loads the X11, Windows, DNS, system-control or filtering code.
        if (area === 'agent' && ['linux', 'win32', 'dns', 'system'].includes(entry.name)) continue;
        if (area === 'shared' && entry.name === 'filtering') continue;
        walk(built);
        continue;
      }
      if (!entry.name.endsWith('.js')) continue;
      const source = join(repoRoot, 'src', relative(join(repoRoot, 'dist'), built)).replace(/\.js$/, '.ts');
      if (existsSync(source) && statSync(source).mtimeMs > statSync(built).mtimeMs + 1000) stale.push(relative(repoRoot, source));
    }
  };
  walk(join(repoRoot, 'dist', area));
  return stale;
}

/** The tests run the built CLI, as the console and installers do; refuse to test a stale build. */
export function assertAgentBuilt(): void {
  const hint = 'build it first: npx tsc -p tsconfig.build.json';
  if (!existsSync(agentCli)) throw new Error(`${agentCli} is missing; ${hint}`);
  const stale = [...staleFiles('agent'), ...staleFiles('shared')];
  if (stale.length > 0) throw new Error(`dist is older than ${stale.slice(0, 5).join(', ')}; ${hint}`);
}

const running = new Set<AgentProcess>();

export class AgentProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [agentCli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        running.delete(this);
        resolveExit();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first stderr line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => this.stderr.split('\n').find((line) => pattern.test(line)), `agent log ${pattern}\n--- agent stderr ---\n${this.stderr}`, timeoutMs);
  }

  countLog(pattern: RegExp): number {
    return this.stderr.split('\n').filter((line) => pattern.test(line)).length;
  }

  async waitForExit(timeoutMs = 15_000): Promise<number | null> {
    await waitFor(() => this.exitCode !== null || this.exitSignal !== null, `agent exit\n--- agent stderr ---\n${this.stderr}`, timeoutMs);
    return this.exitCode;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exitCode === null && this.exitSignal === null) this.child.kill(signal);
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    this.kill('SIGTERM');
    try {
      await waitFor(() => this.exitCode !== null || this.exitSignal !== null, 'agent to stop', timeoutMs);
    } catch {
      this.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** For afterAll: kills every agent process still running. */
export async function killAllAgents(): Promise<void> {
  const all = [...running];
  for (const agent of all) agent.kill('SIGKILL');
  await Promise.all(all.map((agent) => agent.exited));
}
