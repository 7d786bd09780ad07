// The Electron main process: one console core in-process, one window over the preload bridge, a tray icon.
//
// Electron is only the shell (ARCHITECTURE.md): everything the console does runs in the plain
// Node core started here with startConsole(); this file wires that core to a window, the IPC
// bridge and the tray, and shuts the core down cleanly on quit.

import path from 'node:path';
import { app, dialog, ipcMain, protocol, session, type BrowserWindow, type Tray } from 'electron';
import { consoleUsage } from '../console-args.js';
import { startConsole, type ConsoleRuntime } from '../console.js';
import { bilingual } from '../../shared/i18n/index.js';
import { appIndexUrl, appScheme, serveAppAsset } from './app-protocol.js';
import { answerCall, callChannel, forwardEvents, isTrustedSender, untrustedSenderReply } from './bridge.js';
import { distDirFromHere, findIconsDir, shellScripts } from '../shell-launch.js';
import { shellCommand, userArgs, type ShellConsoleOptions } from './shell-options.js';
import { createTray } from './tray.js';
import { appSchemePrivileges, createConsoleWindow, hardenContents, hardenSession } from './window.js';

/** Longest wait for the console core to close on quit; past it the app exits anyway. */
const consoleCloseTimeoutMs = 10_000;

const distDir = distDirFromHere();
const rendererDir = path.join(distDir, 'renderer');
const { preloadScript } = shellScripts(distDir);
const iconsDir = findIconsDir(distDir);

// Both must happen before 'ready': every renderer is sandboxed, whatever a window asks for, and
// the page's origin (safelab://app) is a standard, secure one.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([appSchemePrivileges]);

function log(line: string): void {
  process.stdout.write(`[safelab] ${line}\n`);
}

function showStartFailure(detail: string, dataDir: string): void {
  const title = bilingual('shell.startFailed.title');
  const body = bilingual('shell.startFailed.body', { detail, dataDir });
  dialog.showErrorBox(`${title.vi} / ${title.en}`, `${body.vi}\n\n${body.en}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`console did not close within ${ms} ms; quitting anyway`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(options: ShellConsoleOptions): Promise<void> {
  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let runtime: ConsoleRuntime | null = null;
  let starting: Promise<ConsoleRuntime> | null = null;
  let stopEvents: (() => void) | null = null;
  let quitting = false;
  let closed = false;

  const showWindow = (): void => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  // A second start (double-clicked icon) brings this window forward instead of a second console.
  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  // With a tray the console keeps running without a window; without one, closing it quits.
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    const shutdown = async (): Promise<void> => {
      stopEvents?.();
      ipcMain.removeHandler(callChannel);
      // Quitting during start-up (Ctrl-C, tray) still waits for the core, to close it properly.
      const started = runtime ?? (await starting?.catch(() => null)) ?? null;
      if (started) await withTimeout(started.close(), consoleCloseTimeoutMs);
    };
    shutdown()
      .catch((error: unknown) => log(`console close failed: ${errorText(error)}`))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  await app.whenReady();
  hardenSession(session.defaultSession);
  protocol.handle(appScheme, async (request) => {
    const asset = await serveAppAsset(rendererDir, request.url);
    return new Response(asset.body, { status: asset.status, headers: asset.headers });
  });

  try {
    starting = startConsole({ ...options, rendererDir, log });
    runtime = await starting;
  } catch (error) {
    if (quitting) return;
    showStartFailure(errorText(error), options.dataDir);
    closed = true;
    app.exit(1);
    return;
  }
  if (quitting) return; // before-quit is closing it
  const api = runtime.api;
  log(`console running; agents connect on port ${runtime.agentPort}; API ${runtime.apiUrl}`);

  ipcMain.handle(callChannel, (event, method: unknown, input: unknown) => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender(
      { webContentsId: event.sender.id, frameUrl: frame?.url, isMainFrame: frame !== null && frame.parent === null },
      window && !window.isDestroyed() ? window.webContents.id : undefined,
    );
    return trusted ? answerCall(api, method, input) : untrustedSenderReply();
  });
  stopEvents = forwardEvents(api, () => (window && !window.isDestroyed() ? window.webContents : null));

  window = createConsoleWindow({ preloadPath: preloadScript, iconPath: iconsDir ? path.join(iconsDir, 'safelab.png') : undefined, url: appIndexUrl });
  window.on('close', (event) => {
    if (quitting || !tray) return;
    // Closing the window must not end the lesson: hide to the tray; Quit is in the tray menu.
    event.preventDefault();
    window?.hide();
  });
  window.on('closed', () => {
    window = null;
  });
  if (iconsDir) tray = createTray(path.join(iconsDir, 'tray.png'), { show: showWindow, quit: () => app.quit() });
  else log('no icons found (resources/icons): running without a tray; closing the window quits');
}

function main(): void {
  let command: ReturnType<typeof shellCommand>;
  try {
    command = shellCommand(userArgs(process.argv, process.defaultApp === true));
  } catch (error) {
    void app.whenReady().then(() => {
      const text = bilingual('shell.badOptions', { detail: errorText(error) });
      dialog.showErrorBox('SafeLab', `${text.vi}\n\n${text.en}`);
      app.exit(2);
    });
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(consoleUsage);
    app.exit(0);
    return;
  }
  const options = command.options;
  // One console per user: a second copy would fight over the ports and the data folder.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  run(options).catch((error: unknown) => {
    showStartFailure(errorText(error), options.dataDir);
    app.exit(1);
  });
}

main();
