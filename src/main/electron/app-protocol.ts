// The shell's own URL scheme (safelab://app/…): serves the built renderer with a strict CSP.
//
// A custom standard scheme rather than file://: the page gets a real origin (so the IPC sender
// check and the CSP 'self' mean "our files"), absolute asset paths from the Vite build resolve,
// and every response carries our security headers. Plain Node so it is tested without Electron.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const appScheme = 'safelab';
export const appHost = 'app';
export const appOrigin = `${appScheme}://${appHost}`;
/** What the window loads. */
export const appIndexUrl = `${appOrigin}/index.html`;

/**
 * The policy of every page the shell shows. The renderer talks to the console only through the
 * preload bridge, so it needs no network at all (`connect-src 'none'`); thumbnails arrive as
 * base64 JPEG and are shown as data:/blob: images. No inline script or style, no eval, no
 * frames, no plugins, no forms.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(filePath: string): string {
  return contentTypes[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `rendererDir` that `requestUrl` names, or null when the URL is not ours or
 * would leave the folder (`..`, encoded slashes, backslashes, NUL).
 */
export function resolveAppAsset(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${appScheme}:` || url.host !== appHost) return null;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (relative.includes('\0') || relative.includes('\\')) return null;
  if (relative === '' || relative === '/') relative = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${relative}`);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return file;
}

/** Headers on every response of the scheme, found or not. */
export function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

export interface AssetResponse {
  status: 200 | 404;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** Reads the asset a request names; 404 for anything missing, outside the folder or not a file. */
export async function serveAppAsset(rendererDir: string, requestUrl: string): Promise<AssetResponse> {
  const notFound: AssetResponse = {
    status: 404,
    headers: { ...securityHeaders(), 'content-type': 'text/plain; charset=utf-8' },
    body: 'Not found',
  };
  const file = resolveAppAsset(rendererDir, requestUrl);
  if (!file) return notFound;
  try {
    if (!(await stat(file)).isFile()) return notFound;
    const body = new Uint8Array(await readFile(file));
    return { status: 200, headers: { ...securityHeaders(), 'content-type': contentTypeFor(file) }, body };
  } catch {
    return notFound;
  }
}

/** Navigation stays on our index page; links elsewhere are refused, never opened. */
export function isAllowedNavigation(targetUrl: string): boolean {
  try {
    const url = new URL(targetUrl);
    return url.protocol === `${appScheme}:` && url.host === appHost && (url.pathname === '/' || url.pathname === '/index.html');
  } catch {
    return false;
  }
}
