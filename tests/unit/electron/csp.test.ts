// The shell's content security policy, enforced by real Chromium: our files load, inline code and network do not.
//
// Served over loopback HTTP with the same headers the safelab:// scheme sends; the directives
// mean the same on either origin, and Chromium is the engine inside Electron.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaders } from '../../../src/main/electron/app-protocol.js';

const chromiumPath = '/usr/bin/chromium';

/** A page that tries everything the policy decides on, and reports what happened in window.results. */
const files: Record<string, { type: string; body: string }> = {
  '/index.html': {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head>
<link rel="stylesheet" href="/app.css">
<style>body { background: rgb(255, 0, 0); }</style>
<script>window.inlineScriptRan = true;</script>
<script type="module" src="/app.js"></script>
</head><body><div id="styled"></div><div id="inline-styled" style="color: rgb(0, 0, 255)"></div></body></html>`,
  },
  '/app.css': { type: 'text/css', body: '#styled { color: rgb(0, 128, 0); }' },
  '/app.js': {
    type: 'text/javascript',
    body: `
const results = { moduleScriptRan: true, inlineScriptRan: window.inlineScriptRan === true };
const color = (id) => getComputedStyle(document.getElementById(id)).color;
results.stylesheetApplied = color('styled') === 'rgb(0, 128, 0)';
results.inlineStyleApplied = color('inline-styled') === 'rgb(0, 0, 255)';
results.inlineStyleElementApplied = getComputedStyle(document.body).backgroundColor === 'rgb(255, 0, 0)';
document.getElementById('styled').style.marginLeft = '7px';
results.scriptSetStyleApplied = getComputedStyle(document.getElementById('styled')).marginLeft === '7px';
try { results.evalRan = eval('1 + 1') === 2; } catch { results.evalRan = false; }
const load = (src) => new Promise((resolve) => { const img = new Image(); img.onload = () => resolve(true); img.onerror = () => resolve(false); img.src = src; });
const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
results.dataImageLoaded = await load('data:image/png;base64,' + pixel);
const bytes = Uint8Array.from(atob(pixel), (c) => c.charCodeAt(0));
results.blobImageLoaded = await load(URL.createObjectURL(new Blob([bytes], { type: 'image/png' })));
results.fetchSucceeded = await fetch('/app.css').then(() => true, () => false);
results.webSocketOpened = await new Promise((resolve) => {
  try { const ws = new WebSocket('ws://' + location.host + '/api/events'); ws.onopen = () => resolve(true); ws.onerror = () => resolve(false); }
  catch { resolve(false); }
});
const frame = document.createElement('iframe');
frame.src = '/index.html';
results.frameLoaded = await new Promise((resolve) => { frame.onload = () => { try { resolve(frame.contentDocument?.URL.endsWith('/index.html') === true); } catch { resolve(false); } }; setTimeout(() => resolve(false), 1000); document.body.append(frame); });
window.results = results;
`,
  },
};

let server: Server;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname];
    if (!file) {
      response.writeHead(404, securityHeaders()).end();
      return;
    }
    response.writeHead(200, { ...securityHeaders(), 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // Playwright gives every launch a fresh, temporary profile of its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('shell CSP in Chromium', () => {
  it('runs our module script and stylesheet, shows data: and blob: thumbnails, and refuses inline code, eval, network and frames', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${baseUrl}/index.html`);
      await page.waitForFunction(() => (globalThis as unknown as { results?: unknown }).results !== undefined, undefined, { timeout: 15_000 });
      const results = await page.evaluate(() => (globalThis as unknown as { results: Record<string, boolean> }).results);
      expect(results).toEqual({
        moduleScriptRan: true,
        stylesheetApplied: true,
        // React sets styles through the CSSOM, which a CSP does not restrict; markup styles are refused.
        scriptSetStyleApplied: true,
        dataImageLoaded: true,
        blobImageLoaded: true,
        inlineScriptRan: false,
        inlineStyleApplied: false,
        inlineStyleElementApplied: false,
        evalRan: false,
        fetchSucceeded: false,
        webSocketOpened: false,
        frameLoaded: false,
      });
    } finally {
      await page.close();
    }
  });
});
