// The real agent (dist/agent/cli.js) as child processes: enrol with a code or a file, run with
// the simulated desktop (or any platform and environment), stop or kill.
import type { ChildProcess } from 'node:child_process';
import { builtFile } from './paths.js';
import { exited, spawnTracked, stopChild } from './processes.js';
import { LineLog, withTimeout } from './wait.js';

export interface EnrolResult {
  exitCode: number | string;
  output: string;
}

/** Runs `agent enrol …` to completion (bounded). */
export async function enrolAgent(options: {
  dataDir: string;
  hostname: string;
  consoleUrl?: string;
  code?: string;
  enrolmentFile?: string;
  timeoutMs?: number;
}): Promise<EnrolResult> {
  const args = [builtFile('agent/cli.js'), 'enrol', '--data-dir', options.dataDir, '--hostname', options.hostname];
  if (options.consoleUrl) args.push('--console', options.consoleUrl);
  if (options.code) args.push('--code', options.code);
  if (options.enrolmentFile) args.push('--enrolment-file', options.enrolmentFile);
  const child = spawnTracked(process.execPath, args, { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '' } });
  const log = new LineLog(child.stdout, child.stderr);
  const exitCode = await withTimeout(exited(child), options.timeoutMs ?? 30_000, `agent enrol of ${options.hostname}`);
  return { exitCode, output: log.text() };
}

export class RunningAgent {
  readonly log: LineLog;
  constructor(
    readonly child: ChildProcess,
    readonly hostname: string,
  ) {
    this.log = new LineLog(child.stdout, child.stderr);
  }

  get pid(): number {
    return this.child.pid!;
  }

  exited(ms: number): Promise<number | string> {
    return withTimeout(exited(this.child), ms, `agent ${this.hostname} to exit`);
  }

  stop(): Promise<number | string> {
    return stopChild(this.child, 'SIGTERM', 3000);
  }

  /** SIGKILL: the agent dies mid-whatever, like a PC losing power. */
  kill(): Promise<number | string> {
    return stopChild(this.child, 'SIGKILL', 1000);
  }
}

/** Starts `agent run --platform simulated` for an enrolled data dir. */
export function runAgent(options: { dataDir: string; hostname: string }): RunningAgent {
  const child = spawnTracked(
    process.execPath,
    [builtFile('agent/cli.js'), 'run', '--platform', 'simulated', '--data-dir', options.dataDir, '--hostname', options.hostname],
    { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '' } },
  );
  return new RunningAgent(child, options.hostname);
}

/**
 * Starts `agent run` with the caller's flags and environment, e.g. `--platform linux` with
 * DISPLAY pointing at an Xvfb server, or no --platform at all to test the automatic choice.
 */
export function runAgentWith(options: { dataDir: string; hostname: string; args?: string[]; env?: NodeJS.ProcessEnv }): RunningAgent {
  const child = spawnTracked(
    process.execPath,
    [builtFile('agent/cli.js'), 'run', '--data-dir', options.dataDir, '--hostname', options.hostname, ...(options.args ?? [])],
    { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '', ...options.env } },
  );
  return new RunningAgent(child, options.hostname);
}
