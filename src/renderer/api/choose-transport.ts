// Picks the transport at startup: the Electron preload bridge when present, else web mode.
import { createElectronTransport } from './electron-transport.js';
import { takeToken, type KeyValueStorage } from './token.js';
import type { ConsoleTransport } from './transport.js';
import { createWebTransport, type EventSocket } from './web-transport.js';

export type TransportChoice = { transport: ConsoleTransport } | { transport: null; reason: 'no-token' };

function sessionStore(): KeyValueStorage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export function chooseTransport(): TransportChoice {
  if (window.safelab) return { transport: createElectronTransport(window.safelab) };
  const token = takeToken(window.location, sessionStore(), (url) => window.history.replaceState(null, '', url));
  if (!token) return { transport: null, reason: 'no-token' };
  return {
    transport: createWebTransport({
      baseUrl: window.location.origin,
      token,
      // The DOM types its handlers with DOM events; EventSocket names only what the transport reads.
      openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as EventSocket,
    }),
  };
}
