// The shell's safelab://app scheme serves the built UI under a strict CSP and nothing outside its folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appIndexUrl,
  contentSecurityPolicy,
  isAllowedNavigation,
  resolveAppAsset,
  serveAppAsset,
} from '../../../src/main/electron/app-protocol.js';

let root: string;
let rendererDir: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'safelab-app-protocol-'));
  rendererDir = path.join(root, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>SafeLab</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(path.join(rendererDir, 'assets', 'index-abc.css'), 'body{}');
  // A file next to the renderer folder that no request may reach.
  writeFileSync(path.join(root, 'console.json'), '{"token":"secret"}');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('content security policy of the shell', () => {
  const policy = directives(contentSecurityPolicy);

  it('denies by default and allows scripts and styles only from the app itself', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(contentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/);
  });

  it('gives the page no network at all: the console is reached through the preload bridge', () => {
    expect(policy.get('connect-src')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'none'"]);
    expect(policy.get('frame-src')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
  });

  it('lets thumbnails show as data: and blob: images', () => {
    expect(policy.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
  });
});

describe('safelab://app assets', () => {
  it('maps the root and paths to files in the renderer folder', () => {
    expect(resolveAppAsset(rendererDir, 'safelab://app/')).toBe(path.join(rendererDir, 'index.html'));
    expect(resolveAppAsset(rendererDir, appIndexUrl)).toBe(path.join(rendererDir, 'index.html'));
    expect(resolveAppAsset(rendererDir, 'safelab://app/assets/index-abc.js?v=1#x')).toBe(path.join(rendererDir, 'assets', 'index-abc.js'));
  });

  it('never leaves the renderer folder, however the path is spelled', () => {
    for (const url of [
      'safelab://app/../console.json',
      'safelab://app/%2e%2e/console.json',
      'safelab://app/..%2fconsole.json',
      'safelab://app/assets/..%2f..%2fconsole.json',
      'safelab://app/..%5cconsole.json',
      'safelab://app/assets%00.js',
      'safelab://app/%E0%A4%A',
    ]) {
      const file = resolveAppAsset(rendererDir, url);
      expect(file === null || file.startsWith(rendererDir + path.sep), url).toBe(true);
    }
  });

  it('answers only its own scheme and host', () => {
    expect(resolveAppAsset(rendererDir, 'file:///etc/passwd')).toBeNull();
    expect(resolveAppAsset(rendererDir, 'safelab://other/index.html')).toBeNull();
    expect(resolveAppAsset(rendererDir, 'https://app/index.html')).toBeNull();
    expect(resolveAppAsset(rendererDir, 'not a url')).toBeNull();
  });

  it('serves files with their type and the security headers', async () => {
    const page = await serveAppAsset(rendererDir, appIndexUrl);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.from(page.body).toString()).toContain('<title>SafeLab</title>');

    const script = await serveAppAsset(rendererDir, 'safelab://app/assets/index-abc.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const style = await serveAppAsset(rendererDir, 'safelab://app/assets/index-abc.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404, still under the CSP, for missing files, folders and escapes', async () => {
    for (const url of ['safelab://app/missing.js', 'safelab://app/assets', 'safelab://app/..%2fconsole.json']) {
      const response = await serveAppAsset(rendererDir, url);
      expect(response.status, url).toBe(404);
      expect(response.headers['content-security-policy']).toBe(contentSecurityPolicy);
      expect(String(response.body)).not.toContain('secret');
    }
  });
});

describe('navigation of the console window', () => {
  it('stays on the app page and refuses every other address', () => {
    expect(isAllowedNavigation('safelab://app/index.html')).toBe(true);
    expect(isAllowedNavigation('safelab://app/')).toBe(true);
    for (const url of ['https://example.com/', 'http://127.0.0.1:47101/', 'file:///etc/passwd', 'safelab://app/assets/x.js', 'safelab://evil/index.html', 'javascript:alert(1)', '']) {
      expect(isAllowedNavigation(url), url).toBe(false);
    }
  });
});
