// Console list sources against a real loopback HTTP server: refresh, last good copy, status, build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFilterLists, ListRefreshSchedule, loadSource, refreshSource, sourceStatus, sourceStatuses, type ListCacheOptions } from '../../../src/main/filtering/sources.js';
import { DomainMatcher, hasCategory } from '../../../src/shared/filtering/matcher.js';
import { listSourceSchema, type ListSource, type ListSourceInput } from '../../../src/shared/filtering/list-sources.js';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

let dir: string;
let server: Server;
let baseUrl: string;
const routes = new Map<string, Route>();
const requests: IncomingMessage[] = [];
let gamblingTarball: Uint8Array;

function source(input: ListSourceInput): ListSource {
  return listSourceSchema.parse(input);
}

function serveText(text: string | Uint8Array, headers: Record<string, string> = {}): Route {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', ...headers });
    response.end(text);
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'safelab-sources-'));
  mkdirSync(join(dir, 'tree', 'gambling'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'gambling', 'domains'), 'casino.example.com\nbet.example.vn\n');
  gamblingTarball = execFileSync('tar', ['-czf', '-', '-C', join(dir, 'tree'), 'gambling']);
  server = createServer((request, response) => {
    requests.push(request);
    const route = routes.get(request.url ?? '');
    if (route) route(request, response);
    else {
      response.writeHead(404);
      response.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

let cacheDir: string;
let clock: Date;
let options: ListCacheOptions;

beforeEach(() => {
  routes.clear();
  requests.length = 0;
  cacheDir = mkdtempSync(join(dir, 'cache-'));
  clock = new Date('2026-11-22T08:00:00Z');
  options = { cacheDir, now: () => clock, timeoutMs: 2_000, maxBytes: 1 << 20 };
});

describe('downloaded list sources', () => {
  it('say "never downloaded" until a first download succeeds', async () => {
    const ut1 = source({ type: 'ut1-category', id: 'ut1-gambling', category: 'gambling', url: `${baseUrl}/ut1/gambling.tar.gz` });
    const web = source({ type: 'url', id: 'ads', url: `${baseUrl}/ads.txt`, category: 'publicite' });
    const statuses = await sourceStatuses([ut1, web], options);
    expect(statuses.map((s) => [s.id, s.state, s.thirdParty])).toEqual([
      ['ut1-gambling', 'never-downloaded', true],
      ['ads', 'never-downloaded', true],
    ]);
    // A failed first attempt is still "never downloaded", now with the reason.
    const failed = await refreshSource(web, options);
    expect(failed).toMatchObject({ state: 'never-downloaded', lastError: { code: 'http-status', detail: '404', messageKey: 'filtering.download.httpStatus' } });
    expect(await loadSource(web, options)).toEqual([]);
  });

  it('defaults UT1 categories to the UT1 download address', () => {
    const ut1 = source({ type: 'ut1-category', id: 'ut1-adult', category: 'adult' });
    expect(ut1.type === 'ut1-category' && ut1.url).toBe(undefined);
    return sourceStatus(ut1, options).then((status) => expect(status.label).toBe('https://dsi.ut-capitole.fr/blacklists/download/adult.tar.gz'));
  });

  it('downloads a UT1 category tarball and a plain list into the cache and builds them into the blob', async () => {
    routes.set('/ut1/gambling.tar.gz', serveText(gamblingTarball));
    routes.set('/ads.txt', serveText('[Adblock Plus 2.0]\n||ads.example.net^\n@@||ok.ads.example.net^\n##.banner\n'));
    const sources = [
      source({ type: 'ut1-category', id: 'ut1-gambling', category: 'gambling', url: `${baseUrl}/ut1/gambling.tar.gz` }),
      source({ type: 'url', id: 'ads', url: `${baseUrl}/ads.txt`, category: 'publicite' }),
    ];
    for (const s of sources) expect((await refreshSource(s, options)).state).toBe('fresh');
    const built = await buildFilterLists(sources, { ...options, builtAtSeconds: 1 });
    const matcher = DomainMatcher.load(built.blob);
    expect(matcher.categoryNames).toEqual(['doh-providers', 'lesson-platforms', 'gambling', 'publicite', 'publicite-allow']);
    expect(hasCategory(matcher.match('www.casino.example.com').categories, matcher.categoryIndex('gambling'))).toBe(true);
    expect(hasCategory(matcher.match('ads.example.net').categories, matcher.categoryIndex('publicite'))).toBe(true);
    expect(hasCategory(matcher.match('ok.ads.example.net').categories, matcher.categoryIndex('publicite-allow'))).toBe(true);
    expect(built.reports.map((r) => r.source)).toEqual(['safelab/doh-providers', 'safelab/lesson-platforms', 'ut1/gambling', `${baseUrl}/ads.txt`]);
    expect(built.reports[3]!.problems).toEqual({ 'cosmetic-rule': 1 });
    expect(built.statuses.map((s) => s.state)).toEqual(['fresh', 'fresh']);
  });

  it('keeps the last good copy when a later download fails, and says so', async () => {
    const list = source({ type: 'url', id: 'list', url: `${baseUrl}/list.txt`, category: 'games' });
    routes.set('/list.txt', serveText('games.example.com\n'));
    await refreshSource(list, options);
    const firstCopy = readFileSync(join(cacheDir, 'list.data'));

    clock = new Date('2026-11-23T08:00:00Z');
    routes.set('/list.txt', (_request, response) => {
      response.writeHead(500);
      response.end('server error');
    });
    const status = await refreshSource(list, options);
    expect(status).toMatchObject({
      state: 'last-good',
      lastSuccessAt: '2026-11-22T08:00:00.000Z',
      lastAttemptAt: '2026-11-23T08:00:00.000Z',
      lastError: { code: 'http-status', detail: '500' },
    });
    expect(readFileSync(join(cacheDir, 'list.data'))).toEqual(firstCopy);
    const [loaded] = await loadSource(list, options);
    expect(loaded!.parsed.block).toEqual(['games.example.com']);

    // Recovery clears the warning.
    clock = new Date('2026-11-24T08:00:00Z');
    routes.set('/list.txt', serveText('games.example.com\nmore.example.com\n'));
    expect(await refreshSource(list, options)).toMatchObject({ state: 'fresh', lastError: null, lastSuccessAt: '2026-11-24T08:00:00.000Z' });
  });

  it('refuses downloads that are not lists (HTML, empty, broken archive) and keeps the old copy', async () => {
    const list = source({ type: 'url', id: 'list', url: `${baseUrl}/list.txt`, category: 'games' });
    const ut1 = source({ type: 'ut1-category', id: 'ut1', category: 'gambling', url: `${baseUrl}/ut1.tar.gz` });
    routes.set('/list.txt', serveText('games.example.com\n'));
    routes.set('/ut1.tar.gz', serveText(gamblingTarball));
    await refreshSource(list, options);
    await refreshSource(ut1, options);

    routes.set('/list.txt', serveText('<!DOCTYPE html><html><body>Please log in to the Wi-Fi</body></html>'));
    expect((await refreshSource(list, options)).lastError?.code).toBe('not-a-list');
    routes.set('/list.txt', serveText(''));
    expect((await refreshSource(list, options)).lastError?.code).toBe('not-a-list');
    routes.set('/ut1.tar.gz', serveText(gamblingTarball.subarray(0, 40)));
    expect((await refreshSource(ut1, options)).lastError?.code).toBe('bad-archive');

    expect((await loadSource(list, options))[0]!.parsed.block).toEqual(['games.example.com']);
    expect((await loadSource(ut1, options))[0]!.parsed.block).toEqual(['casino.example.com', 'bet.example.vn']);
  });

  it('gives up on a server that does not answer in time, and on lists over the size limit', async () => {
    const slow = source({ type: 'url', id: 'slow', url: `${baseUrl}/slow`, category: 'games' });
    routes.set('/slow', (_request, response) => {
      response.writeHead(200);
      response.write('partial.example.com\n'); // then nothing more
    });
    const started = Date.now();
    const status = await refreshSource(slow, { ...options, timeoutMs: 300 });
    expect(status.lastError?.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);

    const big = source({ type: 'url', id: 'big', url: `${baseUrl}/big`, category: 'games' });
    routes.set('/big', serveText('x.example.com\n'.repeat(10_000)));
    expect((await refreshSource(big, { ...options, maxBytes: 50_000 })).lastError?.code).toBe('too-large');
    routes.set('/big', (_request, response) => {
      response.writeHead(200); // no content-length: the limit applies while streaming
      for (let i = 0; i < 10; i++) response.write('y.example.com\n'.repeat(1_000));
      response.end();
    });
    expect((await refreshSource(big, { ...options, maxBytes: 50_000 })).lastError?.code).toBe('too-large');
  });

  it('reports a server that cannot be reached as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = source({ type: 'url', id: 'gone', url: `http://127.0.0.1:${port}/list.txt`, category: 'games' });
    expect((await refreshSource(gone, options)).lastError?.code).toBe('network');
  });

  it('asks with the ETag it has and keeps the copy on 304 Not Modified', async () => {
    const list = source({ type: 'url', id: 'etag', url: `${baseUrl}/etag.txt`, category: 'games' });
    routes.set('/etag.txt', (request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        response.writeHead(304);
        response.end();
        return;
      }
      response.writeHead(200, { etag: '"v1"' });
      response.end('etag.example.com\n');
    });
    await refreshSource(list, options);
    clock = new Date('2026-11-30T08:00:00Z');
    const status = await refreshSource(list, options);
    expect(requests.at(-1)!.headers['if-none-match']).toBe('"v1"');
    expect(status).toMatchObject({ state: 'fresh', lastSuccessAt: '2026-11-30T08:00:00.000Z' });
    expect((await loadSource(list, options))[0]!.parsed.block).toEqual(['etag.example.com']);
  });

  it('calls a copy stale after a week without a successful refresh', async () => {
    const list = source({ type: 'url', id: 'list', url: `${baseUrl}/list.txt`, category: 'games' });
    routes.set('/list.txt', serveText('games.example.com\n'));
    await refreshSource(list, options);
    clock = new Date('2026-12-01T08:00:00Z');
    expect((await sourceStatus(list, options)).state).toBe('stale');
  });

  it('does not use a copy downloaded from another address after the source is edited', async () => {
    routes.set('/list.txt', serveText('games.example.com\n'));
    await refreshSource(source({ type: 'url', id: 'list', url: `${baseUrl}/list.txt`, category: 'games' }), options);
    const edited = source({ type: 'url', id: 'list', url: `${baseUrl}/other.txt`, category: 'games' });
    expect((await sourceStatus(edited, options)).state).toBe('never-downloaded');
    expect(await loadSource(edited, options)).toEqual([]);
  });
});

describe('local list sources', () => {
  it('read an unpacked UT1 folder, a UT1 tarball and a hosts file, and report missing ones', async () => {
    const tarPath = join(dir, 'gambling.tar.gz');
    writeFileSync(tarPath, gamblingTarball);
    const hostsPath = join(dir, 'hosts.txt');
    writeFileSync(hostsPath, '127.0.0.1 localhost\n0.0.0.0 tracker.example.org\n');
    const sources = [
      source({ type: 'ut1-folder', id: 'folder', path: join(dir, 'tree') }),
      source({ type: 'ut1-tarball', id: 'tarball', path: tarPath }),
      source({ type: 'file', id: 'hosts', path: hostsPath, category: 'malware' }),
      source({ type: 'file', id: 'missing', path: join(dir, 'nope.txt'), category: 'games' }),
    ];
    const statuses = await sourceStatuses(sources, options);
    expect(statuses.map((s) => [s.id, s.state])).toEqual([
      ['folder', 'local'],
      ['tarball', 'local'],
      ['hosts', 'local'],
      ['missing', 'local-missing'],
    ]);
    const built = await buildFilterLists(sources, options);
    const matcher = DomainMatcher.load(built.blob);
    expect(matcher.categoryNames).toEqual(['doh-providers', 'lesson-platforms', 'gambling', 'malware']);
    expect(matcher.match('tracker.example.org').listed).toBe(true);
  });
});

describe('refresh schedule', () => {
  it('refreshes on its own and reports each round', async () => {
    routes.set('/list.txt', serveText('games.example.com\n'));
    const list = source({ type: 'url', id: 'list', url: `${baseUrl}/list.txt`, category: 'games' });
    const rounds: string[][] = [];
    const schedule = new ListRefreshSchedule({
      sources: () => [list],
      cache: options,
      firstDelayMs: 10,
      intervalMs: 60_000,
      onRefreshed: (statuses) => {
        rounds.push(statuses.map((s) => s.state));
      },
    });
    schedule.start();
    try {
      for (let waited = 0; rounds.length === 0 && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(rounds).toEqual([['fresh']]);
      const [a, b] = [schedule.refreshNow(), schedule.refreshNow()];
      expect(a).toBe(b);
      await a;
    } finally {
      schedule.stop();
    }
  });
});
