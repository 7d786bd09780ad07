// The preload bridge: gives the renderer `window.safelab`, a ConsoleApiClient carried over IPC, and nothing else.
//
// A CommonJS file (.cts → .cjs) because sandboxed preloads cannot be ES modules. In the sandbox
// `require` knows only a few modules (electron, events, timers, url), so everything else here
// is type-only. No Electron or Node object crosses into the page: callers get plain data and
// an unsubscribe function, never the IpcRenderer or its events.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiErrorBody, ApiEvent, ApiInput, ApiMethod, ApiOutput, ConsoleApiClient } from '../shared/api/contract.js';

// Kept in step with src/main/electron/bridge.ts (a runtime import is not possible here; a test checks they match).
const callChannel = 'safelab:call';
const eventChannel = 'safelab:event';

type BridgeReply = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

const safelab: ConsoleApiClient = {
  async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
    const reply = (await ipcRenderer.invoke(callChannel, method, input)) as BridgeReply;
    if (reply.ok) return reply.value as ApiOutput<M>;
    // A plain ApiErrorBody, not an Error: the context bridge would keep only an Error's message.
    throw { code: reply.error.code, message: reply.error.message, messageEn: reply.error.messageEn };
  },
  onEvent(listener: (event: ApiEvent) => void): () => void {
    const relay = (_event: IpcRendererEvent, apiEvent: ApiEvent): void => listener(apiEvent);
    ipcRenderer.on(eventChannel, relay);
    return () => {
      ipcRenderer.removeListener(eventChannel, relay);
    };
  },
};

contextBridge.exposeInMainWorld('safelab', safelab);
