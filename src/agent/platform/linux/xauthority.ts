// The cookie that lets the agent into an X session it did not start: read from an Xauthority file
// (the X server's own -auth file, or the session's ~/.Xauthority) for one display number. The
// `x11` package only reads $XAUTHORITY or ~/.Xauthority of the process; a service finds the
// session's file itself (session-display.ts) and hands the cookie over explicitly.

import { readFileSync } from 'node:fs';

/** Xauthority files hold a few entries; anything bigger than this is not one. */
export const maxXauthorityBytes = 64 * 1024;

export interface XauthEntry {
  family: number;
  address: string;
  display: string;
  name: string;
  data: string;
}

/** Address families in Xauthority entries (Xauth.h). */
export const xauthFamily = { local: 256, wild: 65535 } as const;

/** Parses the binary Xauthority format; a truncated last entry is dropped. */
export function parseXauthority(buf: Buffer): XauthEntry[] {
  const entries: XauthEntry[] = [];
  let o = 0;
  const field = (): string | null => {
    if (o + 2 > buf.length) return null;
    const length = buf.readUInt16BE(o);
    if (o + 2 + length > buf.length) return null;
    const text = buf.toString('latin1', o + 2, o + 2 + length);
    o += 2 + length;
    return text;
  };
  while (o + 2 <= buf.length) {
    const family = buf.readUInt16BE(o);
    o += 2;
    const address = field();
    const display = field();
    const name = field();
    const data = field();
    if (address === null || display === null || name === null || data === null) break;
    entries.push({ family, address, display, name, data });
  }
  return entries;
}

/**
 * The MIT-MAGIC-COOKIE-1 entry for display number `displayNumber` (or for any display), local or
 * wildcard first. Null when the file has none.
 */
export function cookieFor(entries: readonly XauthEntry[], displayNumber: string): { name: string; data: string } | null {
  const usable = entries.filter((e) => e.name === 'MIT-MAGIC-COOKIE-1' && (e.display === displayNumber || e.display === ''));
  const rank = (e: XauthEntry): number => (e.family === xauthFamily.local || e.family === xauthFamily.wild ? 0 : 1);
  const best = [...usable].sort((a, b) => rank(a) - rank(b))[0];
  return best ? { name: best.name, data: best.data } : null;
}

/** Reads `file` and picks the cookie for `display` (":0", ":0.0"); throws a readable error. */
export function readCookie(file: string, display: string): { name: string; data: string } {
  const number = /:(\d+)(?:\.\d+)?$/.exec(display)?.[1];
  if (number === undefined) throw new Error(`"${display}" is not an X display name`);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read the Xauthority file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (buf.length > maxXauthorityBytes) throw new Error(`${file} is not an Xauthority file (${buf.length} bytes)`);
  const cookie = cookieFor(parseXauthority(buf), number);
  if (!cookie) throw new Error(`${file} holds no MIT-MAGIC-COOKIE-1 for display :${number}`);
  return cookie;
}
