// The API over HTTP on loopback (web mode, the IT command line, tests): POST /api/<method> with a
// bearer token, the event stream as a websocket at /api/events, and the built UI at /. Only
// loopback Host and Origin headers are accepted, which defeats DNS rebinding from web pages; no
// CORS header is ever sent, so no other site's script may read an answer. Who called (for the
// audit log) is the OS account owning the client's end of the connection, asked of the kernel.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody, ApiEvent } from '../../shared/api/contract.js';
import { actorOfPeer, channelHeader, channelOf } from './actor.js';
import { ApiError, httpStatusOf } from './errors.js';
import type { EventBus } from './events.js';
import { callApi } from './in-process-client.js';
import type { ApiHandlers, Caller } from './methods.js';
import { peerAccount, type PeerAccount, type PeerLookupOptions } from './peer-account.js';
import { securityHeaders, serveStatic } from './static-files.js';

/** Largest request body accepted (the largest real input is a list of 1000 machine ids). */
export const maxApiRequestBytes = 256 * 1024;
/** An event client this far behind stops getting thumbnails until it catches up. */
export const eventSkipThumbnailsBytes = 4 * 1024 * 1024;
/** An event client this far behind is cut off (it reconnects and reloads). */
export const eventDropClientBytes = 32 * 1024 * 1024;
/** Subprotocol prefix carrying the token (browsers cannot set headers on a websocket). */
export const eventsProtocolPrefix = 'safelab.';
/** Header naming the client's session (one per browser tab); the event socket names it as ?session=. */
export const sessionHeader = 'x-safelab-session';

/** The caller's session for a client-chosen id: 'web:<id>', or 'web' when it names none (or a bad one). */
export function webSession(id: string | string[] | null | undefined): string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id) ? `web:${id}` : 'web';
}

export interface ApiServerOptions {
  handlers: ApiHandlers;
  events: EventBus;
  token: string;
  rendererDir: string;
  log(line: string): void;
  host?: string;
  port: number;
  /**
   * A browser tab's last event socket closed: what it chose (the PC it watched) can be forgotten.
   * A tab that reconnects may open its new socket before the console sees the old one close, so
   * only the last socket of a session ends it.
   */
  sessionEnded?(session: string): void;
  /** Where to ask who owns a client's socket (tests point it at captured tables or another OS). */
  peerLookup?: PeerLookupOptions;
}

export interface ApiServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time token check (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(token));
}

export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/** The `safelab.<token>` entry of a Sec-WebSocket-Protocol header, if any. */
export function protocolToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(',')) {
    const p = part.trim();
    if (p.startsWith(eventsProtocolPrefix)) return p.slice(eventsProtocolPrefix.length);
  }
  return null;
}

export function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { handlers, events, token, log } = options;
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const clients = new Set<WebSocket>();
  let unsubscribe: (() => void) | null = null;
  /** Open event sockets per session ('web:<id>'): a session ends when its count drops to zero. */
  const sessionSockets = new Map<string, number>();
  /** Who owns each client connection, asked once per connection (keep-alive reuses it). */
  const peers = new WeakMap<Socket, Promise<PeerAccount>>();

  function peerOf(request: IncomingMessage): Promise<PeerAccount> {
    const socket = request.socket;
    let peer = peers.get(socket);
    if (!peer) {
      peer = peerAccount(
        { clientAddress: socket.remoteAddress, clientPort: socket.remotePort, serverAddress: socket.localAddress, serverPort: socket.localPort },
        options.peerLookup,
      ).catch((): PeerAccount => ({ verified: false, reason: 'unreadable' }));
      peers.set(socket, peer);
    }
    return peer;
  }

  function hostAllowed(request: IncomingMessage): boolean {
    const hostHeader = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) return false;
    const origin = request.headers.origin;
    return origin === undefined || allowedOrigins.has(origin.toLowerCase());
  }

  function sendError(response: ServerResponse, error: ApiError): void {
    sendJson(response, httpStatusOf[error.code], error.body);
  }

  function sendJson(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      ...securityHeaders(port),
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
    });
    response.end(text);
  }

  /**
   * The request body, refused past maxApiRequestBytes without reading (or keeping) the rest: the
   * answer says why and the connection closes after it, so the unread bytes go nowhere.
   */
  function readBody(request: IncomingMessage, response: ServerResponse): Promise<string> {
    return new Promise((resolve, reject) => {
      const tooLarge = (): void => {
        request.removeAllListeners('data');
        request.pause();
        response.setHeader('connection', 'close');
        reject(new ApiError('bad-request', 'errors.requestTooLarge', { limit: maxApiRequestBytes }));
      };
      const declared = Number(request.headers['content-length'] ?? '0');
      if (declared > maxApiRequestBytes) {
        tooLarge();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxApiRequestBytes) {
          chunks.length = 0;
          tooLarge();
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, method: string): Promise<void> {
    if (request.method !== 'POST') {
      response.writeHead(405, { ...securityHeaders(port), allow: 'POST' }).end();
      return;
    }
    if (!tokenMatches(bearerToken(request.headers.authorization), token)) {
      sendError(response, new ApiError('unauthorized', 'errors.unauthorized'));
      return;
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      sendError(response, new ApiError('bad-request', 'errors.badRequest', { detail: 'content-type must be application/json' }));
      return;
    }
    let input: unknown;
    try {
      const text = await readBody(request, response);
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (error) {
      sendError(response, error instanceof ApiError ? error : new ApiError('bad-request', 'errors.badRequest', { detail: 'body is not valid JSON' }));
      return;
    }
    const caller: Caller = {
      actor: actorOfPeer(channelOf(request.headers[channelHeader]), await peerOf(request)),
      session: webSession(request.headers[sessionHeader]),
    };
    try {
      const output = await callApi(handlers, method, input, caller, log);
      sendJson(response, 200, output ?? null);
    } catch (error) {
      sendError(response, error as ApiError);
    }
  }

  const server: Server = createServer((request, response) => {
    try {
      route(request, response);
    } catch (error) {
      // Nothing a request carries may take the console down (a page on any site can make the
      // browser send a GET here without asking).
      log(`api: ${request.method ?? '?'} request failed: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { code: 'internal', message: 'internal error' } satisfies ApiErrorBody);
      else response.destroy();
    }
  });

  function route(request: IncomingMessage, response: ServerResponse): void {
    if (!hostAllowed(request)) {
      log(`api: refused a request with Host ${JSON.stringify(request.headers.host ?? '')} Origin ${JSON.stringify(request.headers.origin ?? '')}`);
      sendError(response, new ApiError('unauthorized', 'errors.hostRefused'));
      return;
    }
    const pathname = (request.url ?? '/').split('?')[0]!;
    if (pathname.startsWith('/api/')) {
      const raw = pathname.slice('/api/'.length);
      let method: string;
      try {
        method = decodeURIComponent(raw);
      } catch {
        method = raw; // malformed escapes: no method has that name, answered as unknown after the token check
      }
      handleApi(request, response, method).catch((error: unknown) => {
        log(`api: ${method}: ${(error as Error)?.stack ?? String(error)}`);
        if (!response.headersSent) sendJson(response, 500, { code: 'internal', message: 'internal error' } satisfies ApiErrorBody);
      });
      return;
    }
    serveStatic(options.rendererDir, port, request, response);
  }
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // Keep idle keep-alive sockets longer than clients do (fetch/undici drops them after 4 s):
  // with Node's 5 s default a request sent just as the server closed the socket fails with
  // "other side closed". Loopback only, so idle sockets cost nothing.
  server.keepAliveTimeout = 65_000;

  // ---- events -------------------------------------------------------------------------------

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 4096, // the UI never sends anything meaningful on this socket
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith(eventsProtocolPrefix)) return p;
      return false;
    },
  });

  function broadcast(event: ApiEvent): void {
    const text = JSON.stringify(event); // once for every client
    const thumbnail = event.type === 'thumbnail';
    for (const ws of clients) {
      if (ws.bufferedAmount > eventDropClientBytes) {
        log('api: an event client fell too far behind; dropping it');
        ws.terminate();
        continue;
      }
      if (thumbnail && ws.bufferedAmount > eventSkipThumbnailsBytes) continue;
      ws.send(text);
    }
  }

  function refuseUpgrade(socket: Socket, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/events') return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(request)) {
      log(`api: refused an event socket with Host ${JSON.stringify(request.headers.host ?? '')} Origin ${JSON.stringify(request.headers.origin ?? '')}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    const given = protocolToken(request.headers['sec-websocket-protocol']) ?? url.searchParams.get('token');
    if (!tokenMatches(given, token)) return refuseUpgrade(socket, 401, 'Unauthorized');
    const session = webSession(url.searchParams.get('session'));
    wss.handleUpgrade(request, socket, head, (ws) => {
      clients.add(ws);
      if (session !== 'web') sessionSockets.set(session, (sessionSockets.get(session) ?? 0) + 1);
      if (!unsubscribe) unsubscribe = events.on(broadcast);
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        if (session !== 'web') {
          const left = (sessionSockets.get(session) ?? 1) - 1;
          if (left > 0) sessionSockets.set(session, left);
          else {
            sessionSockets.delete(session);
            options.sessionEnded?.(session);
          }
        }
        clients.delete(ws);
        if (clients.size === 0 && unsubscribe) {
          unsubscribe();
          unsubscribe = null;
        }
      });
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host }, () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
      allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        async close() {
          if (unsubscribe) unsubscribe();
          unsubscribe = null;
          for (const ws of clients) ws.close(1001, 'console shutting down');
          await new Promise<void>((r) => wss.close(() => r()));
          for (const ws of clients) ws.terminate();
          server.closeAllConnections();
          await new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
