// Serves the built renderer (dist/renderer) for web mode: only files inside that folder (a path
// or a symbolic link leading out of it is not found), with the right content types, a strict
// content security policy, and index.html for app routes.

import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { bilingual } from '../../shared/i18n/index.js';

const contentTypes: Record<string, string> = {
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
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The policy for every page: own scripts and styles only, thumbnails as data:/blob: images. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(port),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/**
 * The regular file `file` really is, when that lies inside `realRoot` (the UI folder with its own
 * links resolved); null for anything missing, not a file, or reached through a link leading out.
 */
function servableFile(realRoot: string, file: string): { path: string; size: number } | null {
  try {
    const real = realpathSync(file);
    if (!real.startsWith(realRoot + path.sep)) return null;
    const stat = statSync(real);
    return stat.isFile() ? { path: real, size: stat.size } : null;
  } catch {
    return null;
  }
}

function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder;
  }
}

export function serveStatic(rendererDir: string, port: number, request: IncomingMessage, response: ServerResponse): void {
  const headers = securityHeaders(port);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  } catch {
    response.writeHead(400, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('bad path\n');
    return;
  }
  const root = path.resolve(rendererDir);
  let file = path.resolve(root, '.' + path.posix.normalize(pathname));
  if (pathname.includes('\0') || (file !== root && !file.startsWith(root + path.sep))) {
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const realRoot = realFolder(root);
  let found = file === root ? null : servableFile(realRoot, file);
  if (!found && path.extname(pathname) === '') {
    // App routes (/, /labs/…) all load the single page.
    file = path.join(root, 'index.html');
    found = servableFile(realRoot, file);
  }
  if (!found) {
    if (!servableFile(realRoot, path.join(root, 'index.html'))) {
      const text = bilingual('errors.uiNotBuilt', { dir: root });
      response.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(`${text.vi}\n${text.en}\n`);
      return;
    }
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const type = contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  // Hashed asset names never change content; the page itself must always be fresh.
  const cache = file.endsWith('index.html') ? 'no-store' : pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  response.writeHead(200, { ...headers, 'content-type': type, 'content-length': String(found.size), 'cache-control': cache });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(found.path)
    .on('error', () => response.destroy())
    .pipe(response);
}
