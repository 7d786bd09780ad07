// The cookie that lets the agent into an X session it did not start: read from an Xauthority file
// (the X server's own -auth file, or the session's ~/.Xauthority) for one display number. The
// `x11` package only reads $XAUTHORITY or ~/.Xauthority of the process; a service finds the
// session's file itself (session-display.ts) and hands the cookie over explicitly.
//
// The session's file belongs to the student, who may delete it, rename it, or put a FIFO, a
// symlink or a huge file in its place. So the agent reads it as little as possible (desktop.ts
// keeps the cookie after the first connection that worked), and only with readUntrustedFile.

import { join } from 'node:path';
import { writeFileAtomic } from '../../system/atomic-file.js';
import { readUntrustedFile } from './untrusted-file.js';
import { localDisplayNumber } from './x-server.js';

/** Xauthority files hold a few entries; anything bigger than this is not one. */
export const maxXauthorityBytes = 64 * 1024;

/** Reading an Xauthority file (a few hundred bytes on a local disk) that takes longer than this is not going to work. */
export const xauthorityReadTimeoutMs = 2_000;

export interface XauthEntry {
  family: number;
  address: string;
  display: string;
  name: string;
  data: string;
}

/** A cookie as the X server checks it (auth protocol name and its secret bytes as latin1). */
export interface XCookie {
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

/** The binary Xauthority format of `entries` (what parseXauthority reads). */
export function encodeXauthority(entries: readonly XauthEntry[]): Buffer {
  const field = (text: string): Buffer => {
    const bytes = Buffer.from(text, 'latin1');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  return Buffer.concat(
    entries.map((e) => {
      const family = Buffer.alloc(2);
      family.writeUInt16BE(e.family);
      return Buffer.concat([family, field(e.address), field(e.display), field(e.name), field(e.data)]);
    }),
  );
}

/**
 * The MIT-MAGIC-COOKIE-1 entry for display number `displayNumber` (or for any display), local or
 * wildcard first. Null when the file has none.
 */
export function cookieFor(entries: readonly XauthEntry[], displayNumber: string): XCookie | null {
  const usable = entries.filter((e) => e.name === 'MIT-MAGIC-COOKIE-1' && (e.display === displayNumber || e.display === ''));
  const rank = (e: XauthEntry): number => (e.family === xauthFamily.local || e.family === xauthFamily.wild ? 0 : 1);
  const best = [...usable].sort((a, b) => rank(a) - rank(b))[0];
  return best ? { name: best.name, data: best.data } : null;
}

/** The display number as Xauthority entries write it ("0" for ":0.0"); null for anything but a local display. */
function displayNumberOf(display: string): string | null {
  const number = localDisplayNumber(display);
  return number === null ? null : String(number);
}

/** Reads `file` and picks the cookie for `display` (":0", ":0.0"); rejects with a readable error. */
export async function readCookie(file: string, display: string): Promise<XCookie> {
  const number = displayNumberOf(display);
  if (number === null) throw new Error(`"${display}" is not an X display name`);
  let buf: Buffer;
  try {
    buf = await readUntrustedFile(file, maxXauthorityBytes, xauthorityReadTimeoutMs);
  } catch (e) {
    throw new Error(`cannot read the Xauthority file ${file}: ${(e as Error).message}`);
  }
  const cookie = cookieFor(parseXauthority(buf), number);
  if (!cookie) throw new Error(`${file} holds no MIT-MAGIC-COOKIE-1 for display :${number}`);
  return cookie;
}

/**
 * Writes `cookie` for display `display` to `dir`/Xauthority (mode 0600, replaced atomically: a tool
 * starting meanwhile reads the old cookie or the new one, never half of one) and returns its
 * path: the file the X tools we run (xkbcomp, setxkbmap) and node-screenshots read, so they keep
 * working when the student removes their own file. `dir` must be a directory only the agent's
 * account can write.
 */
export async function writePrivateXauthority(dir: string, display: string, cookie: XCookie): Promise<string> {
  const number = displayNumberOf(display);
  if (number === null) throw new Error(`"${display}" is not an X display name`);
  const file = join(dir, 'Xauthority');
  // The wildcard family matches whatever host name libXau looks up.
  await writeFileAtomic(file, encodeXauthority([{ family: xauthFamily.wild, address: '', display: number, ...cookie }]), { mode: 0o600 });
  return file;
}
