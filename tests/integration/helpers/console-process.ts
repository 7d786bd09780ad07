// The console as its own process (node dist/main/start.js --web), for tests that kill or restart
// it, or drive it with the IT command line; plus the console in-process for tests that need its
// test knobs (short timeouts). Both listen on loopback only, on free ports.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConsoleFile, type ConsoleFile } from '../../../src/main/console-file.js';
import { HttpApi } from './console-api.js';
import { builtFile } from './paths.js';
import { exited, spawnTracked, stopChild } from './processes.js';
import { LineLog, withTimeout } from './wait.js';

export function tempDataDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `safelab-${label}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A port free right now on 127.0.0.1 (for a console that must keep its port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function agentUrl(port: number): string {
  return `wss://127.0.0.1:${port}/agent`;
}

export class ConsoleProcess {
  readonly log: LineLog;
  constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly file: ConsoleFile,
    log: LineLog,
  ) {
    this.log = log;
  }

  get api(): HttpApi {
    return new HttpApi(this.file.apiUrl, this.file.token);
  }

  get agentUrl(): string {
    return agentUrl(this.file.agentPort);
  }

  /** Ctrl-C equivalent: a clean stop. Resolves with the exit code. */
  stop(): Promise<number | string> {
    return stopChild(this.child, 'SIGINT', 8000);
  }

  /** SIGKILL: the console dies without cleaning up (power cut, crash). */
  kill(): Promise<number | string> {
    return stopChild(this.child, 'SIGKILL', 1000);
  }
}

/** Starts `node dist/main/start.js --web --no-demo` and waits until it printed its address. */
export async function startConsoleProcess(options: {
  dataDir: string;
  agentPort?: number;
  thumbnailIntervalMs?: number;
  args?: string[];
}): Promise<ConsoleProcess> {
  const args = [
    builtFile('main/start.js'),
    '--web',
    '--no-demo',
    '--data-dir',
    options.dataDir,
    '--agent-host',
    '127.0.0.1',
    '--agent-port',
    String(options.agentPort ?? 0),
    '--api-port',
    '0',
    ...(options.thumbnailIntervalMs ? ['--thumbnail-interval-ms', String(options.thumbnailIntervalMs)] : []),
    ...(options.args ?? []),
  ];
  const child = spawnTracked(process.execPath, args, { env: { ...process.env, SAFELAB_DATA_DIR: '' } });
  const log = new LineLog(child.stdout, child.stderr);
  const died = exited(child).then((code) => {
    throw new Error(`console exited (${code}) before it was ready:\n${log.text()}`);
  });
  await withTimeout(Promise.race([log.waitFor(/#token=/, 30_000), died]), 30_000, 'the console to start');
  died.catch(() => undefined);
  const file = readConsoleFile(options.dataDir);
  if (!file || file.pid !== child.pid) throw new Error(`console.json does not describe the started console:\n${log.text()}`);
  return new ConsoleProcess(child, options.dataDir, file, log);
}
