// Web mode transport: requests as POST /api/<method> with the bearer token, events over the
// /api/events websocket (token as subprotocol), reopened with backoff whenever it drops. Each
// transport (one per browser tab) names its own session, so the console keeps this tab's choices
// (the PC it watches large) apart from other tabs' and forgets them when the tab goes.
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput } from '../../shared/api/contract.js';
import { reconnectDelayMs } from './backoff.js';
import { ConsoleError, consoleErrorFromResponse, networkError } from './console-error.js';
import type { ConsoleTransport, LinkStatus } from './transport.js';

/** The part of a browser WebSocket the transport uses (the `ws` package fits it too, in tests). */
export interface EventSocket {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

export type OpenEventSocket = (url: string, protocols: string[]) => EventSocket;

/** The part of fetch the transport uses. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface WebTransportOptions {
  /** Origin of the console API, e.g. "http://127.0.0.1:47101". */
  baseUrl: string;
  token: string;
  openSocket: OpenEventSocket;
  fetch?: FetchLike;
  random?: () => number;
  /** This tab's session id (default: fresh random). */
  session?: string;
}

/** 128 random bits as hex: a session id nobody else's tab will share. */
export function newSessionId(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Subprotocol that carries the token: browsers cannot set headers on a websocket. */
export function eventsProtocol(token: string): string {
  return `safelab.${token}`;
}

export function eventsUrl(baseUrl: string, session?: string): string {
  const url = new URL('/api/events', baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (session) url.searchParams.set('session', session);
  return url.toString();
}

export function createWebTransport(options: WebTransportOptions): ConsoleTransport {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const session = options.session ?? newSessionId();
  const eventListeners = new Set<(event: ApiEvent) => void>();
  const linkListeners = new Set<(status: LinkStatus) => void>();
  let socket: EventSocket | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let everOpened = false;
  let stopped = true;
  let status: LinkStatus | null = null;

  function setStatus(next: LinkStatus): void {
    if (next === status) return;
    status = next;
    for (const l of [...linkListeners]) l(next);
  }

  function dispatch(raw: unknown): void {
    if (typeof raw !== 'string') return; // the console sends JSON text only
    let event: unknown;
    try {
      event = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') return;
    for (const l of [...eventListeners]) l(event as ApiEvent);
  }

  async function post(method: string, input: unknown): Promise<unknown> {
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await fetchImpl(new URL(`/api/${method}`, options.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}`, 'x-safelab-session': session },
        body: JSON.stringify(input ?? {}),
      });
    } catch {
      throw networkError();
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw networkError();
    }
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) throw consoleErrorFromResponse(response.status, body);
    return body;
  }

  /**
   * A websocket that closes tells nothing about why. Ask over HTTP: a refused token will never
   * work (the console restarted with a new one), so stop and say so instead of retrying forever.
   */
  async function tokenRefused(): Promise<boolean> {
    try {
      await post('console.status', {});
      return false;
    } catch (error) {
      return error instanceof ConsoleError && error.code === 'unauthorized';
    }
  }

  function scheduleRetry(): void {
    const delay = reconnectDelayMs(attempt++, options.random);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open();
    }, delay);
  }

  function open(): void {
    if (stopped) return;
    const ws = options.openSocket(eventsUrl(options.baseUrl, session), [eventsProtocol(options.token)]);
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      everOpened = true;
      setStatus('open');
    };
    ws.onmessage = (message) => {
      if (socket === ws) dispatch(message.data);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting is handled there.
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (stopped) return;
      setStatus(everOpened ? 'lost' : 'connecting');
      void tokenRefused().then((refused) => {
        if (stopped || socket !== null || retryTimer !== null) return;
        if (refused) setStatus('refused');
        else scheduleRetry();
      });
    };
  }

  return {
    kind: 'web',
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
      return (await post(method, input)) as ApiOutput<M>;
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onLinkChange(listener) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      setStatus('connecting');
      open();
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      ws?.close();
    },
  };
}
