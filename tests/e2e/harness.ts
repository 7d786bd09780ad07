// What the browser end-to-end tests share: the real console as its own process (web mode, free
// ports, a throwaway data folder), real agent processes, Debian Chromium through playwright-core,
// the console API over HTTP, and bounded waits that show the console's output when they time out.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { ApiInput, ApiMethod, ApiOutput } from '../../src/shared/api/contract.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const startScript = join(root, 'dist/main/start.js');
const agentScript = join(root, 'dist/agent/cli.js');
const rendererIndex = join(root, 'dist/renderer/index.html');

/** Where tests save screenshots for people to look at (SAFELAB_E2E_SCREENSHOTS, else a temp folder). */
export const screenshotDir = process.env['SAFELAB_E2E_SCREENSHOTS'] ?? mkdtempSync(join(tmpdir(), 'safelab-e2e-shots-'));

export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Most polls of one wait, whatever its time budget. */
const maxPolls = 10_000;
const pollMs = 200;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns something truthy, at most `timeoutMs`; `context` explains a timeout. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < maxPolls; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(pollMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
}

export function assertBuilt(): void {
  for (const file of [startScript, agentScript, rendererIndex]) {
    if (!existsSync(file)) throw new Error(`build first (npm run build): need ${file}`);
  }
}

interface ConsoleFile {
  apiUrl: string;
  token: string;
  agentPort: number;
}

/** `node dist/main/start.js --web` on loopback with its own data folder. */
export class ConsoleUnderTest {
  output = '';
  file!: ConsoleFile;
  private child: ChildProcess | null = null;

  constructor(
    readonly dataDir: string,
    private readonly args: string[],
  ) {}

  static async start(args: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'safelab-e2e-console-'))): Promise<ConsoleUnderTest> {
    const console_ = new ConsoleUnderTest(dataDir, args);
    await console_.start();
    return console_;
  }

  /** Starts (or starts again, with a fresh token) and waits for console.json. */
  async start(extraArgs: string[] = []): Promise<void> {
    const consoleFile = join(this.dataDir, 'console.json');
    rmSync(consoleFile, { force: true });
    const child = spawn(process.execPath, [startScript, '--web', '--data-dir', this.dataDir, '--agent-host', '127.0.0.1', ...this.args, ...extraArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAFELAB_DATA_DIR: '' },
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.file = await waitFor(
      'console.json',
      30_000,
      () => {
        if (child.exitCode !== null) throw new Error(`console exited with ${child.exitCode}\n${this.output}`);
        if (!existsSync(consoleFile)) return null;
        try {
          const parsed = JSON.parse(readFileSync(consoleFile, 'utf8')) as ConsoleFile;
          return parsed.apiUrl && parsed.token ? parsed : null;
        } catch {
          return null; // being written
        }
      },
      () => this.tail(),
    );
  }

  get agentUrl(): string {
    return `wss://127.0.0.1:${this.file.agentPort}/agent`;
  }

  /** The address the console prints for the teacher to open. */
  get link(): string {
    return `${this.file.apiUrl}/#token=${this.file.token}`;
  }

  tail(): string {
    return `--- console output ---\n${this.output.slice(-4000)}`;
  }

  async api<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
    const response = await fetch(`${this.file.apiUrl}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.file.token}` },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as unknown;
    if (!response.ok) throw new Error(`${method}: ${response.status} ${JSON.stringify(body)}`);
    return body as ApiOutput<M>;
  }

  /** Ctrl-C; SIGKILL if it does not stop within a few seconds. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const stopped = await Promise.race([exited.then(() => true), sleep(8_000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A real agent process (`node dist/agent/cli.js …`) with its output kept. */
export class AgentUnderTest {
  output = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [agentScript, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '', ...env },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  /** Resolves with the exit code, or throws after `ms`. */
  async exitCode(ms: number): Promise<number | null> {
    return Promise.race([this.exited, sleep(ms).then(() => Promise.reject(new Error(`agent still running after ${ms} ms\n${this.output}`)))]);
  }

  stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

const running = new Set<AgentUnderTest>();

export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((agent) => agent.stop()));
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}
