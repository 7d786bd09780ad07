// A small loopback stand-in for the console's web API (POST /api/<method> + /api/events), for
// testing the renderer's transport and session without building and starting the real console.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody, ApiEvent } from '../../../src/shared/api/contract.js';

export interface RecordedCall {
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The x-safelab-session header: which browser tab called. */
  session: string | undefined;
  body: unknown;
}

export type Answer = unknown | { status: number; body: ApiErrorBody } | Promise<unknown>;

export interface FakeConsole {
  baseUrl: string;
  calls: RecordedCall[];
  /** Subprotocols offered by every event socket that connected. */
  offeredProtocols: string[][];
  /** The path and query of every event socket that connected. */
  eventPaths: string[];
  answers: Record<string, (input: unknown) => Answer>;
  connectedSockets(): number;
  broadcast(event: ApiEvent): void;
  /** Cuts every event socket, as when the console restarts or the network hiccups. */
  dropSockets(): void;
  /** Refuses (or accepts again) new event sockets. */
  refuseSockets(refuse: boolean): void;
  close(): Promise<void>;
}

export function isErrorAnswer(answer: Answer): answer is { status: number; body: ApiErrorBody } {
  return typeof answer === 'object' && answer !== null && 'status' in answer && 'body' in answer;
}

export async function startFakeConsole(token: string): Promise<FakeConsole> {
  const calls: RecordedCall[] = [];
  const offeredProtocols: string[][] = [];
  const eventPaths: string[] = [];
  const answers: Record<string, (input: unknown) => Answer> = {};
  const sockets = new Set<WebSocket>();
  let refusing = false;

  const server: Server = createServer((request, response) => {
    const method = (request.url ?? '').replace(/^\/api\//, '');
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body: unknown = text ? JSON.parse(text) : undefined;
      calls.push({
        method,
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        session: request.headers['x-safelab-session'] as string | undefined,
        body,
      });
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      if (request.headers.authorization !== `Bearer ${token}`) {
        send(401, { code: 'unauthorized', message: 'Mã truy cập không hợp lệ.', messageEn: 'Invalid access token.' } satisfies ApiErrorBody);
        return;
      }
      const answer = answers[method];
      if (!answer) {
        send(404, { code: 'not-found', message: `Không có ${method}`, messageEn: `No ${method}` } satisfies ApiErrorBody);
        return;
      }
      // An answer may be a promise: a test holds the reply back to let events overtake it.
      void Promise.resolve(answer(body)).then((result) => {
        if (isErrorAnswer(result)) send(result.status, result.body);
        else send(200, result ?? null);
      });
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith('safelab.')) ?? false,
  });
  server.on('upgrade', (request, socket, head) => {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    offeredProtocols.push(offered);
    eventPaths.push(request.url ?? '');
    if (refusing || !offered.includes(`safelab.${token}`)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    offeredProtocols,
    eventPaths,
    answers,
    connectedSockets: () => sockets.size,
    broadcast(event) {
      for (const ws of sockets) ws.send(JSON.stringify(event));
    },
    dropSockets() {
      for (const ws of sockets) ws.terminate();
    },
    refuseSockets(refuse) {
      refusing = refuse;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
