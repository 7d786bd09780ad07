// Globals the renderer may find: the Electron preload bridge (absent in web mode).
import type { ConsoleApiClient } from '../shared/api/contract.js';

declare global {
  interface Window {
    /** Set by the Electron preload script; the same API as web mode, carried over IPC. */
    safelab?: ConsoleApiClient;
  }
}

export {};
