// The built desktop shell, run end to end with a stand-in for Electron: window, scheme, bridge, tray and quit over a real console core.
//
// Electron's binary cannot be downloaded here, so dist's main.js runs under Node with
// stand-in/electron.mjs answering `import … from 'electron'`, and the built preload runs in a
// fresh V8 context with a stand-in ipcRenderer wired to that process. Everything else is real:
// the compiled shell, the bridge, the console core with its SQLite store and ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody, ApiEvent, ConsoleApiClient, Lab } from '../../../src/shared/api/contract.js';
import { contentSecurityPolicy } from '../../../src/main/electron/app-protocol.js';
import { callChannel, eventChannel } from '../../../src/main/electron/bridge.js';

const projectRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const standIn = pathToFileURL(path.join(import.meta.dirname, 'stand-in', 'register.mjs')).href;
/** Compiling the shell with the console core it starts, on a busy two-core machine. */
const buildTimeoutMs = 240_000;
/** Longest wait for one answer from the shell process. */
const replyTimeoutMs = 15_000;

interface Reply {
  op: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}
type ShellMessage = Reply | { op: 'event'; channel: string; payload: ApiEvent } | { op: 'exiting'; code: number } | { op: 'errorBox'; title: string; content: string };

let outDir: string;
let dataDir: string;
let shell: ShellProcess;
const started: ShellProcess[] = [];

/** One run of the built shell under the stand-in Electron, with a line to ask it things. */
class ShellProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  readonly errorBoxes: Array<{ title: string; content: string }> = [];
  readonly eventListeners = new Set<(channel: string, payload: ApiEvent) => void>();
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', standIn, path.join(outDir, 'main', 'electron', 'main.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    started.push(this);
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (message: ShellMessage) => {
      if (message.op === 'reply') this.pending.get(message.id)?.(message);
      else if (message.op === 'event') for (const listener of this.eventListeners) listener(message.channel, message.payload);
      else if (message.op === 'errorBox') this.errorBoxes.push({ title: message.title, content: message.content });
    });
  }

  /** Asks the stand-in Electron to do something, as Electron itself would. */
  ask<T>(op: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${op} within ${replyTimeoutMs} ms; shell output:\n${this.output}`));
      }, replyTimeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply.value as T);
      });
      this.child.send({ op, id, ...params });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

function ask<T>(op: string, params: Record<string, unknown> = {}): Promise<T> {
  return shell.ask<T>(op, params);
}

interface StandInState {
  ready: boolean;
  schemes: unknown;
  schemesBeforeReady: boolean;
  singleInstanceLockRequested: boolean;
  sandboxEnabledBeforeReady: boolean;
  protocolSchemes: string[];
  windows: Array<{ options: { webPreferences: Record<string, unknown>; icon?: string }; url: string | null }>;
  windowVisible: boolean;
  trayMenu: string[] | null;
  trayTooltip: string | null;
  trayIcon: string | null;
  permissionRequestHandler: boolean;
  permissionCheckHandler: boolean;
  blockedRequestUrls: string[] | null;
  ipcChannels: string[];
  errorBoxes: Array<{ title: string; content: string }>;
}

async function waitForWindow(): Promise<StandInState> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; attempt < 600 && Date.now() < deadline; attempt++) {
    const state = await ask<StandInState>('state');
    if (state.errorBoxes.length > 0) throw new Error(`the shell showed an error: ${JSON.stringify(state.errorBoxes)}`);
    if (state.windows.length > 0 && state.windowVisible && state.trayMenu) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the shell opened no window; output:\n${shell.output}`);
}

/** A call from the window's page, as the preload makes it. */
function callFromWindow(method: string, input: unknown, sender: Record<string, unknown> = {}): Promise<{ ok: boolean; value?: unknown; error?: ApiErrorBody }> {
  return ask('invoke', { channel: callChannel, args: [method, input], ...sender });
}

beforeAll(async () => {
  mkdirSync(path.join(projectRoot, '.cache'), { recursive: true });
  outDir = mkdtempSync(path.join(projectRoot, '.cache', 'shell-build-'));
  const build = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build-electron.mjs'), '--force', '--out-dir', outDir], {
    encoding: 'utf8',
    timeout: buildTimeoutMs,
  });
  if (build.status !== 0) throw new Error(`build:electron failed:\n${build.stdout}${build.stderr}`);
  // A small built UI for the scheme to serve.
  mkdirSync(path.join(outDir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(outDir, 'renderer', 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(path.join(outDir, 'renderer', 'assets', 'app.js'), 'window.safelab.call("labs.list", {});');

  dataDir = mkdtempSync(path.join(tmpdir(), 'safelab-shell-data-'));
  shell = new ShellProcess(['--data-dir', dataDir, '--agent-port', '0', '--api-port', '0', '--agent-host', '127.0.0.1', '--no-demo', '--no-sandbox']);
  await waitForWindow();
}, buildTimeoutMs + 60_000);

afterAll(async () => {
  for (const run of started) await run.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('desktop shell main process', () => {
  it('sandboxes every renderer and registers safelab:// as a standard, secure scheme before the app is ready, and holds the single-instance lock', async () => {
    const state = await ask<StandInState>('state');
    expect(state.sandboxEnabledBeforeReady).toBe(true);
    expect(state.schemes).toEqual([{ scheme: 'safelab', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(state.schemesBeforeReady).toBe(true);
    expect(state.protocolSchemes).toEqual(['safelab']);
    expect(state.singleInstanceLockRequested).toBe(true);
  });

  it('opens one sandboxed, context-isolated window on safelab://app with the CommonJS preload', async () => {
    const state = await ask<StandInState>('state');
    expect(state.windows).toHaveLength(1);
    const [window] = state.windows;
    expect(window!.url).toBe('safelab://app/index.html');
    expect(window!.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      webviewTag: false,
      preload: path.join(outDir, 'preload', 'index.cjs'),
    });
    expect(existsSync(window!.options.webPreferences.preload as string)).toBe(true);
    expect(window!.options.icon).toBe(path.join(projectRoot, 'resources', 'icons', 'safelab.png'));
  });

  it('runs the console core in-process: console.json is written for the IT command line', () => {
    const file = JSON.parse(readFileSync(path.join(dataDir, 'console.json'), 'utf8')) as { pid: number; apiUrl: string };
    expect(file.pid).toBe(shell.child.pid);
    expect(file.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves the built UI under the shell CSP, and nothing outside it', async () => {
    const page = await ask<{ status: number; headers: Record<string, string>; text: string }>('fetch', { url: 'safelab://app/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect(page.text).toContain('/assets/app.js');
    const script = await ask<{ status: number; headers: Record<string, string> }>('fetch', { url: 'safelab://app/assets/app.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const escape = await ask<{ status: number }>('fetch', { url: 'safelab://app/..%2f..%2fpackage.json' });
    expect(escape.status).toBe(404);
  });

  it('answers a call from its window through the real console core', async () => {
    const reply = await callFromWindow('labs.list', {});
    expect(reply.ok).toBe(true);
    expect((reply.value as Lab[]).map((lab) => lab.name)).toContain('Phòng máy 1');
  });

  it('refuses calls from another webContents, an iframe, a foreign page or a gone frame', async () => {
    for (const sender of [{ foreignContents: true }, { isMainFrame: false }, { frameUrl: 'https://example.com/' }, { frameUrl: null }]) {
      const reply = await callFromWindow('labs.create', { name: 'Phòng lạ' }, sender);
      expect(reply, JSON.stringify(sender)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    const labs = await callFromWindow('labs.list', {});
    expect((labs.value as Lab[]).map((lab) => lab.name)).not.toContain('Phòng lạ');
  });

  it('refuses a name that is not an API method', async () => {
    expect(await callFromWindow('__proto__', {})).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('forwards console events to the window', async () => {
    const seen: Array<[string, ApiEvent]> = [];
    const listener = (channel: string, payload: ApiEvent): void => void seen.push([channel, payload]);
    shell.eventListeners.add(listener);
    try {
      await callFromWindow('labs.create', { name: 'Phòng máy 2' });
      const deadline = Date.now() + 5000;
      while (!seen.some(([, event]) => event.type === 'lab.updated') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toContainEqual([eventChannel, expect.objectContaining({ type: 'lab.updated', lab: expect.objectContaining({ name: 'Phòng máy 2' }) })]);
    } finally {
      shell.eventListeners.delete(listener);
    }
  });

  it('never leaves its page: navigation, new windows, permissions and downloads are refused', async () => {
    expect(await ask('navigate', { url: 'https://example.com/' })).toEqual({ prevented: true });
    expect(await ask('navigate', { url: 'file:///etc/passwd' })).toEqual({ prevented: true });
    expect(await ask('navigate', { url: 'safelab://app/index.html' })).toEqual({ prevented: false });
    expect(await ask('openWindow', { url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(await ask('permission', { permission: 'media' })).toEqual({ granted: false, checked: false });
    expect(await ask('download')).toEqual({ prevented: true });
    const state = await ask<StandInState>('state');
    expect(state.blockedRequestUrls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']));
  });

  it('hides to the tray when the window is closed, so the lesson goes on, and the tray shows it again', async () => {
    const state = await ask<StandInState>('state');
    expect(state.trayMenu).toEqual(['Mở cửa sổ SafeLab', 'separator', 'Thoát SafeLab (ngắt kết nối các máy học sinh)']);
    expect(state.trayTooltip).toContain('SafeLab');
    expect(state.trayIcon).toBe(path.join(projectRoot, 'resources', 'icons', 'tray.png'));
    expect(await ask('closeWindow')).toEqual({ visible: false, destroyed: false });
    expect(await ask('trayShow')).toEqual({ visible: true });
  });
});

describe('preload bridge (the built index.cjs in its own context)', () => {
  let exposed: Record<string, unknown>;
  let required: string[];
  let safelab: ConsoleApiClient;

  beforeAll(() => {
    exposed = {};
    required = [];
    const channelListeners = new Map<string, Set<(...args: unknown[]) => void>>();
    shell.eventListeners.add((channel, payload) => {
      for (const listener of channelListeners.get(channel) ?? []) listener({ sender: 'ipc-renderer-event' }, payload);
    });
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: unknown) => {
          exposed[key] = api;
        },
      },
      ipcRenderer: {
        invoke: (channel: string, ...args: unknown[]) => ask('invoke', { channel, args }),
        on: (channel: string, listener: (...args: unknown[]) => void) => {
          if (!channelListeners.has(channel)) channelListeners.set(channel, new Set());
          channelListeners.get(channel)!.add(listener);
        },
        removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
          channelListeners.get(channel)?.delete(listener);
        },
      },
    };
    const source = readFileSync(path.join(outDir, 'preload', 'index.cjs'), 'utf8');
    const wrapper = vm.runInNewContext(`(function (exports, require, module) {\n${source}\n})`, {}, { filename: 'index.cjs' }) as (
      exports: object,
      require: (name: string) => unknown,
      module: object,
    ) => void;
    const module = { exports: {} };
    wrapper(module.exports, (name) => {
      required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    }, module);
    safelab = exposed.safelab as ConsoleApiClient;
  });

  it('requires only electron and exposes exactly window.safelab with call and onEvent', () => {
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['safelab']);
    expect(Object.keys(safelab).sort()).toEqual(['call', 'onEvent']);
  });

  it('resolves a call with the console answer', async () => {
    const lab = await safelab.call('labs.create', { name: 'Phòng máy 3' });
    expect(lab).toMatchObject({ name: 'Phòng máy 3', machineCount: 0 });
  });

  it('rejects with a plain error body that keeps the code and both languages', async () => {
    const rejection = await safelab.call('labs.rename', { labId: 'no-such-lab', name: 'X' }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(rejection).toEqual({ code: 'not-found', message: expect.any(String), messageEn: expect.any(String) });
    expect(rejection).not.toBeInstanceOf(Error);
  });

  it('delivers events with nothing but the event, and stops after unsubscribing', async () => {
    const received: unknown[][] = [];
    const unsubscribe = safelab.onEvent((...args: unknown[]) => void received.push(args));
    await safelab.call('labs.create', { name: 'Phòng máy 4' });
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((args) => args.length === 1)).toBe(true);
    expect(received[0]![0]).toMatchObject({ type: 'lab.updated', lab: { name: 'Phòng máy 4' } });

    unsubscribe();
    const count = received.length;
    await safelab.call('labs.create', { name: 'Phòng máy 5' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.length).toBe(count);
  });
});

describe('quitting the desktop shell', () => {
  it('quits from the tray menu, closing the console core cleanly', async () => {
    await ask('trayQuit');
    expect(await shell.exited).toBe(0);
    expect(shell.output).toContain('console: stopped');
    expect(existsSync(path.join(dataDir, 'console.json'))).toBe(false);
  });
});

describe('stopping the desktop shell from outside', () => {
  it('closes the console core on SIGTERM, even while it is still starting', async () => {
    const otherData = mkdtempSync(path.join(tmpdir(), 'safelab-shell-term-'));
    try {
      const run = new ShellProcess(['--data-dir', otherData, '--agent-port', '0', '--agent-host', '127.0.0.1', '--api-port', '0', '--no-demo']);
      // The store is open but the console is not yet serving: the middle of start-up.
      const deadline = Date.now() + 30_000;
      while (!run.output.includes('store:') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      run.child.kill('SIGTERM');
      expect(await run.exited, run.output).toBe(0);
      expect(run.output).toContain('console: stopped');
      expect(existsSync(path.join(otherData, 'console.json'))).toBe(false);
    } finally {
      rmSync(otherData, { recursive: true, force: true });
    }
  });
});

describe('starting the desktop shell fails visibly', () => {
  it('shows a bilingual error box and exits 1 when the agent port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const otherData = mkdtempSync(path.join(tmpdir(), 'safelab-shell-busy-'));
    try {
      const run = new ShellProcess(['--data-dir', otherData, '--agent-port', String(port), '--agent-host', '127.0.0.1', '--api-port', '0', '--no-demo']);
      expect(await run.exited).toBe(1);
      expect(run.errorBoxes, run.output).toHaveLength(1);
      expect(run.errorBoxes[0]!.title).toBe('SafeLab không khởi động được / SafeLab could not start');
      expect(run.errorBoxes[0]!.content).toContain(String(port));
      expect(run.errorBoxes[0]!.content).toContain(otherData);
      expect(existsSync(path.join(otherData, 'console.json'))).toBe(false);
    } finally {
      blocker.close();
      rmSync(otherData, { recursive: true, force: true });
    }
  });

  it('shows a bilingual error box and exits 1 when the API port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const otherData = mkdtempSync(path.join(tmpdir(), 'safelab-shell-busy-'));
    try {
      const run = new ShellProcess(['--data-dir', otherData, '--agent-port', '0', '--agent-host', '127.0.0.1', '--api-port', String(port), '--no-demo']);
      expect(await run.exited).toBe(1);
      expect(run.errorBoxes, run.output).toHaveLength(1);
      expect(run.errorBoxes[0]!.content).toContain('--api-port');
      expect(existsSync(path.join(otherData, 'console.json'))).toBe(false);
    } finally {
      blocker.close();
      rmSync(otherData, { recursive: true, force: true });
    }
  });

  it('shows a bilingual error box and exits 2 on a mistyped option', async () => {
    const run = new ShellProcess(['--agent-port', 'many']);
    expect(await run.exited).toBe(2);
    expect(run.errorBoxes).toHaveLength(1);
    expect(run.errorBoxes[0]!.content).toMatch(/Tham số dòng lệnh sai: .*--agent-port[\s\S]*Wrong command-line option: .*--agent-port/);
  });

  it('prints the usage and exits 0 for --help', async () => {
    const run = new ShellProcess(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.output).toContain('--data-dir DIR');
    expect(run.errorBoxes).toEqual([]);
  });
});
