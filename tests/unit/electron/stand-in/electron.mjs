// A stand-in for the parts of Electron's main-process API the shell uses, driven by the test over the process IPC channel.
//
// Electron's binary cannot be downloaded on this machine, so the shell's main.js runs under
// plain Node with this module in place of 'electron'. It records what the shell asks of
// Electron (window options, scheme privileges, handlers) and lets the test act as Electron
// would: deliver an IPC call from a frame, fetch a safelab:// URL, navigate, ask a permission,
// close the window, quit. Messages use Node's 'advanced' serialization, a structured clone
// like Electron's IPC.
import { EventEmitter } from 'node:events';

process.defaultApp = true;

const state = {
  ready: false,
  schemes: null,
  schemesBeforeReady: false,
  singleInstanceLockRequested: false,
  sandboxEnabledBeforeReady: false,
  protocolSchemes: [],
  windows: [],
  trayMenu: null,
  trayTooltip: null,
  trayIcon: null,
  permissionRequestHandler: false,
  permissionCheckHandler: false,
  blockedRequestUrls: null,
  errorBoxes: [],
};
let protocolHandler = null;
const ipcHandlers = new Map();
let nextContentsId = 1;
const windows = [];

function report(message) {
  process.send?.(message);
}

/** Exits once every message so far has been written: a plain exit could drop the last ones. */
function exitAfterReports(code) {
  if (!process.send) process.exit(code);
  process.send({ op: 'exiting', code }, () => process.exit(code));
}

function preventable() {
  const event = { defaultPrevented: false, preventDefault() { event.defaultPrevented = true; } };
  return event;
}

class WebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextContentsId++;
    this.destroyed = false;
    this.openHandler = null;
    this.mainFrame = { url: '', parent: null };
  }
  send(channel, payload) {
    report({ op: 'event', channel, payload });
  }
  isDestroyed() {
    return this.destroyed;
  }
  setWindowOpenHandler(handler) {
    this.openHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.visible = false;
    this.destroyed = false;
    this.webContents = new WebContents();
    windows.push(this);
    state.windows.push({ options: JSON.parse(JSON.stringify(options)), url: null });
    app.emit('web-contents-created', preventable(), this.webContents);
  }
  async loadURL(url) {
    state.windows[windows.indexOf(this)].url = url;
    this.webContents.mainFrame.url = url;
    setImmediate(() => this.emit('ready-to-show'));
  }
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  isMinimized() { return false; }
  restore() {}
  isDestroyed() { return this.destroyed; }
  close() {
    const event = preventable();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
    app.emit('window-all-closed');
  }
}

class App extends EventEmitter {
  enableSandbox() {
    state.sandboxEnabledBeforeReady = !state.ready;
  }
  requestSingleInstanceLock() {
    state.singleInstanceLockRequested = true;
    return true;
  }
  whenReady() {
    return readyPromise;
  }
  quit() {
    const event = preventable();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    exitAfterReports(0);
  }
  exit(code = 0) {
    exitAfterReports(code);
  }
}
export const app = new App();
const readyPromise = new Promise((resolve) => setTimeout(() => {
  state.ready = true;
  app.emit('ready');
  resolve();
}, 20));

export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    state.schemes = JSON.parse(JSON.stringify(schemes));
    state.schemesBeforeReady = !state.ready;
  },
  handle(scheme, handler) {
    state.protocolSchemes.push(scheme);
    protocolHandler = handler;
  },
};

let permissionRequestHandler = null;
let permissionCheckHandler = null;
const sessionEvents = new EventEmitter();
export const session = {
  defaultSession: {
    setPermissionRequestHandler(handler) { permissionRequestHandler = handler; state.permissionRequestHandler = true; },
    setPermissionCheckHandler(handler) { permissionCheckHandler = handler; state.permissionCheckHandler = true; },
    on: (name, listener) => sessionEvents.on(name, listener),
    webRequest: { onBeforeRequest(filter) { state.blockedRequestUrls = filter.urls; } },
  },
};

export const ipcMain = {
  handle(channel, handler) {
    if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel) {
    ipcHandlers.delete(channel);
  },
};

export const dialog = {
  showErrorBox(title, content) {
    state.errorBoxes.push({ title, content });
    report({ op: 'errorBox', title, content });
  },
};

export const nativeImage = { createFromPath: (file) => ({ file, isEmpty: () => false }) };
export const Menu = { buildFromTemplate: (template) => ({ template }) };
export class Tray extends EventEmitter {
  constructor(image) {
    super();
    this.image = image;
    state.trayIcon = image.file;
  }
  setToolTip(text) { state.trayTooltip = text; }
  setContextMenu(menu) {
    state.trayMenu = menu.template.map((item) => item.label ?? item.type);
    tray = this;
    trayMenu = menu.template;
  }
}
let tray = null;
let trayMenu = [];

/** What the test can ask Electron to do. */
const operations = {
  state: () => ({ ...state, windowVisible: windows[0]?.visible ?? false, ipcChannels: [...ipcHandlers.keys()] }),
  /** An IPC invoke from a frame of window `windowIndex` (or of an unknown webContents). */
  async invoke({ channel, args, frameUrl, isMainFrame = true, foreignContents = false }) {
    const handler = ipcHandlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const contents = foreignContents ? new WebContents() : windows[0].webContents;
    const frame = frameUrl === null ? null : { url: frameUrl ?? contents.mainFrame.url, parent: isMainFrame ? null : contents.mainFrame };
    return handler({ sender: contents, senderFrame: frame }, ...args);
  },
  async fetch({ url }) {
    const response = await protocolHandler(new Request(url));
    return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
  },
  navigate({ url }) {
    const event = preventable();
    windows[0].webContents.emit('will-navigate', event, url);
    return { prevented: event.defaultPrevented };
  },
  openWindow({ url }) {
    return windows[0].webContents.openHandler({ url });
  },
  permission({ permission }) {
    return new Promise((resolve) => permissionRequestHandler(windows[0].webContents, permission, (granted) => resolve({ granted, checked: permissionCheckHandler(windows[0].webContents, permission, 'safelab://app', {}) })));
  },
  download() {
    const event = preventable();
    sessionEvents.emit('will-download', event, {}, windows[0].webContents);
    return { prevented: event.defaultPrevented };
  },
  closeWindow() {
    windows[0].close();
    return { visible: windows[0].visible, destroyed: windows[0].destroyed };
  },
  trayShow() {
    trayMenu.find((item) => item.label && item.click && trayMenu.indexOf(item) === 0).click();
    return { visible: windows[0].visible };
  },
  trayQuit() {
    trayMenu.filter((item) => item.click).at(-1).click();
    return {};
  },
};

process.on('message', async (message) => {
  try {
    const value = await operations[message.op](message);
    report({ op: 'reply', id: message.id, value });
  } catch (error) {
    report({ op: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
