// The loopback HTTP API and web UI server: bearer token, loopback-only Host and Origin (DNS
// rebinding), no CORS, a bounded request body, input validation with bilingual errors, requests
// that must not take the console down, the event socket, static files with a strict content
// security policy and nothing served from outside the UI folder, and a log without the token.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { maxApiRequestBytes } from '../../../src/main/api/http-server.js';
import { EventRecorder } from '../helpers/console-api.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';
import { withTimeout } from '../helpers/wait.js';

let dataDir: string;
let rendererDir: string;
let console_: TestConsole;
let base: string;
let token: string;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so a test can send the Host and Origin headers a browser would. */
function send(method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  const url = new URL(urlPath, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function post(method: string, input: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send('POST', `/api/${method}`, { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, JSON.stringify(input));
}

function openEvents(protocols: string[], query = '', headers: Record<string, string> = {}): Promise<{ ok: boolean; status?: number; ws: WebSocket }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events${query}`, protocols, { headers });
  return withTimeout(
    new Promise((resolve) => {
      ws.once('open', () => resolve({ ok: true, ws }));
      ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode, ws }));
      ws.once('error', () => resolve({ ok: false, ws }));
    }),
    5000,
    'the event socket handshake',
  );
}

beforeAll(async () => {
  dataDir = tempDataDir('api');
  rendererDir = path.join(dataDir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>SafeLab</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("ui")');
  writeFileSync(path.join(rendererDir, 'assets', 'app.css'), 'body{}');
  writeFileSync(path.join(dataDir, 'secret.txt'), 'not for the web');
  // Links inside the UI folder that lead out of it: a file and a whole folder.
  symlinkSync(path.join(dataDir, 'secret.txt'), path.join(rendererDir, 'assets', 'leak.txt'));
  symlinkSync(dataDir, path.join(rendererDir, 'data'));
  // A link that stays inside is fine.
  symlinkSync(path.join(rendererDir, 'assets', 'app.css'), path.join(rendererDir, 'assets', 'same.css'));
  console_ = await startTestConsole({ dataDir, rendererDir });
  base = console_.runtime.apiUrl;
  token = console_.runtime.token;
});

afterAll(async () => {
  await console_?.close();
  removeDir(dataDir);
});

describe('console HTTP API', { timeout: 60_000 }, () => {
  it('answers a call with the right token', async () => {
    const response = await post('labs.list', {});
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual([expect.objectContaining({ name: 'Phòng máy 1', machineCount: 0 })]);
  });

  it('refuses a missing or wrong token', async () => {
    for (const authorization of ['', 'Bearer nope', `Bearer ${token}x`, token]) {
      const response = await send('POST', '/api/labs.list', { 'content-type': 'application/json', authorization }, '{}');
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'unauthorized', messageEn: expect.stringMatching(/session/) });
    }
  });

  it('refuses requests whose Host or Origin is not this computer (DNS rebinding)', async () => {
    const port = new URL(base).port;
    const rebound = await post('labs.list', {}, { host: `evil.example:${port}` });
    expect(rebound.status).toBe(401);
    expect(JSON.parse(rebound.body).messageEn).toMatch(/only accepts requests from this computer/);
    expect((await post('labs.list', {}, { origin: 'http://evil.example' })).status).toBe(401);
    expect((await send('GET', '/', { host: `evil.example:${port}` })).status).toBe(401);
    expect((await post('labs.list', {}, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('validates input and explains what is wrong in Vietnamese and English', async () => {
    const invalid = await post('labs.create', { name: '   ' });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^Yêu cầu không hợp lệ: name/), messageEn: expect.stringMatching(/^Invalid request: name/) });
    expect((await send('POST', '/api/labs.list', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, '{oops')).status).toBe(400);
    expect((await send('POST', '/api/labs.list', { 'content-type': 'text/plain', authorization: `Bearer ${token}` }, '{}')).status).toBe(400);
    const unknown = await post('labs.explode', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).messageEn).toMatch(/no function "labs.explode"/);
    const missing = await post('machines.rename', { machineId: 'm-nope', name: 'X' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toMatch(/Không tìm thấy máy/);
    expect((await post('labs.create', { name: 'phòng máy 1' })).status).toBe(409);
  });

  it('streams events to a client that shows the token as subprotocol or query', async () => {
    expect((await openEvents(['safelab.wrong'])).ok).toBe(false);
    expect((await openEvents([])).status).toBe(401);
    const port = new URL(base).port;
    expect((await openEvents([`safelab.${token}`], '', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await openEvents([`safelab.${token}`], '', { host: `evil.example:${port}` })).status).toBe(403);

    const byQuery = await openEvents([], `?token=${encodeURIComponent(token)}`);
    expect(byQuery.ok).toBe(true);
    byQuery.ws.close();

    const events = await EventRecorder.overHttp(base, token);
    try {
      const from = events.events.length;
      await post('labs.create', { name: 'Phòng máy 2' });
      const event = await events.waitFor((e) => e.type === 'lab.updated', 5000, 'lab.updated', from);
      expect(event).toMatchObject({ type: 'lab.updated', lab: { name: 'Phòng máy 2' } });
    } finally {
      events.close();
    }
  });

  it('serves the UI with content types, a strict content security policy, and app routes', async () => {
    const page = await send('GET', '/', {});
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await send('GET', '/assets/app.js', {})).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await send('GET', '/assets/app.css', {})).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await send('GET', '/labs/lab-1', {})).body).toContain('<title>SafeLab</title>');
    expect((await send('GET', '/assets/missing.js', {})).status).toBe(404);
  });

  it('never serves files outside the UI folder', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const response = await send('GET', attempt, {});
      expect(response.body).not.toContain('not for the web');
    }
  });

  it('does not follow a symbolic link out of the UI folder, and follows one that stays inside', async () => {
    for (const attempt of ['/assets/leak.txt', '/data/secret.txt', '/data/console.json']) {
      const response = await send('GET', attempt, {});
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('not for the web');
      expect(response.body).not.toContain(token);
    }
    const inside = await send('GET', '/assets/same.css', {});
    expect([inside.status, inside.body]).toEqual([200, 'body{}']);
  });

  it('sends no CORS header: no other site may read an answer, and a preflight is refused', async () => {
    const port = new URL(base).port;
    const answers = [
      await post('labs.list', {}),
      await send('GET', '/', {}),
      await send('OPTIONS', '/api/labs.list', { origin: `http://127.0.0.1:${port}`, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }),
      await send('OPTIONS', '/api/labs.list', { origin: 'http://evil.example', 'access-control-request-method': 'POST' }),
    ];
    for (const answer of answers) {
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect(answers[2]!.status).toBe(405);
    expect(answers[3]!.status).toBe(401);
  });

  it('refuses a request body over the limit, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(maxApiRequestBytes) });
    const declared = await send('POST', '/api/labs.create', { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': String(Buffer.byteLength(big)) }, big);
    expect(declared.status).toBe(400);
    expect(JSON.parse(declared.body)).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/quá lớn/), messageEn: expect.stringMatching(/too large \(at most 262144 bytes\)/) });
    // Chunked: no length up front, so the limit is met while reading.
    const streamed = await new Promise<RawResponse>((resolve, reject) => {
      const url = new URL('/api/labs.create', base);
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(streamed.status).toBe(400);
    expect(streamed.headers.connection).toBe('close');
    expect(JSON.parse(streamed.body).messageEn).toMatch(/too large/);
    expect((await post('labs.list', {})).status).toBe(200);
  });

  it('survives a malformed path from any page: a GET needs no token, so it must not crash the console', async () => {
    // An <img src="http://127.0.0.1:<port>/api/%E0"> on any web site sends exactly this (no Origin).
    expect((await send('GET', '/api/%E0', {})).status).toBe(405);
    const malformed = await post('%E0%A4%A', {});
    expect(malformed.status).toBe(404);
    expect(JSON.parse(malformed.body).messageEn).toMatch(/no function/);
    expect((await send('GET', '/%E0', {})).status).toBe(400);
    expect((await post('labs.list', {})).status).toBe(200);
  });

  it('never writes the access token to its log', async () => {
    // Everything above ran: refusals, errors, event sockets with the token as query and protocol.
    expect(console_.log.text().length).toBeGreaterThan(0);
    expect(console_.log.text()).not.toContain(token);
  });
});
