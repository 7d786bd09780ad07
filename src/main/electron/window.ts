// The console window and the rules every web page of the shell lives under (sandbox, CSP, no navigation, no permissions).

import { BrowserWindow, type Session, type WebContents } from 'electron';
import { appScheme, isAllowedNavigation } from './app-protocol.js';

export interface ConsoleWindowOptions {
  /** dist/preload/index.cjs */
  preloadPath: string;
  /** Window icon (PNG); undefined leaves Electron's default. */
  iconPath: string | undefined;
  /** The page to load: safelab://app/index.html */
  url: string;
}

/** Opens the console window, hidden until its first paint so no white flash shows. */
export function createConsoleWindow(options: ConsoleWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'SafeLab',
    autoHideMenuBar: true,
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(options.url);
  return window;
}

/**
 * Every webContents the app creates (the window, devtools, anything a bug might open): it may
 * not navigate away from our page, open windows or attach webviews. A console that shows
 * children's screens must never become a browser.
 */
export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Network schemes the page has no business reaching: the console is behind IPC, not HTTP. */
const blockedRequestUrls = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'];

/** The session our pages run in: no permission is ever granted, nothing is downloaded, no web requests. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.on('will-download', (event) => event.preventDefault());
  session.webRequest.onBeforeRequest({ urls: blockedRequestUrls }, (_details, callback) => callback({ cancel: true }));
}

/** The scheme's privileges: a standard, secure origin with fetch, and nothing that loosens CORS or CSP. */
export const appSchemePrivileges = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
} as const;
