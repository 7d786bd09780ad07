// Which files and folders on the console PC a list source may be read from, and reading them so
// that nothing but a list is ever read: the console's own data folder (its keys, access token and
// database), system places (/proc, /sys, /dev, /etc/shadow…) and private keys or certificates are
// refused wherever a link leads; a pipe or device is refused before it is opened (a FIFO would
// block the reader for ever); and a file over the size limit is refused unread.

import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultMaxDownloadBytes } from './download.js';

/** Largest list file read from disk: the same as a download (a UT1 tarball or a big hosts file). */
export const maxLocalListBytes = defaultMaxDownloadBytes;
/** How much of a file's start is searched for a PEM header when it is added. */
export const keySniffBytes = 64 * 1024;

/**
 * Why a path cannot be a list source:
 * data-dir: inside the console's data folder; system: /proc, /sys, /dev, password and SSH
 * configuration…; secret-file: named or written like a private key or certificate;
 * not-regular: a pipe, device or socket; too-large: over maxLocalListBytes; missing; not-a-file /
 * not-a-folder: the other kind than the source needs.
 */
export type LocalRefusal = 'data-dir' | 'system' | 'secret-file' | 'not-regular' | 'too-large' | 'missing' | 'not-a-file' | 'not-a-folder';

export class LocalFileError extends Error {
  constructor(
    readonly refusal: LocalRefusal,
    readonly filePath: string,
    readonly size?: number,
  ) {
    super(`${filePath}: refused (${refusal})`);
    this.name = 'LocalFileError';
  }
}

/** Places of the OS no list lives in, and whose content must not come back as "bad lines". */
const systemPlaces: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: [
    '/proc',
    '/sys',
    '/dev',
    '/run',
    '/etc/shadow',
    '/etc/shadow-',
    '/etc/gshadow',
    '/etc/gshadow-',
    '/etc/sudoers',
    '/etc/sudoers.d',
    '/etc/ssh',
    '/etc/ssl/private',
    '/etc/security/opasswd',
    '/var/lib/sss',
  ],
  win32: ['C:\\Windows\\System32\\config', 'C:\\Windows\\repair'],
};

/** Folder names that hold keys wherever they are (a home's .ssh, .gnupg). */
const secretFolders = new Set(['.ssh', '.gnupg']);
/** File names and extensions of keys and certificates. */
const secretFileNames = /^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?|.*\.(pem|key|crt|cer|der|p8|p12|pfx|jks|keystore|ppk))$/i;
/** The header of any PEM block ("-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----") or a PuTTY key. */
const keyHeader = /-----BEGIN [A-Z0-9 ]{1,64}-----|PuTTY-User-Key-File-/;

function within(child: string, parent: string, platform: NodeJS.Platform): boolean {
  const norm = (p: string): string => (platform === 'win32' ? p.toLowerCase() : p);
  const c = norm(child);
  const p = norm(parent).replace(/[\\/]+$/, '');
  const sep = platform === 'win32' ? '\\' : '/';
  return c === p || c.startsWith(p + sep);
}

/**
 * Why a real path (links resolved) is no place to read a list from, or null when it may be read.
 * `protectedDirs` are the console's own folders (its data directory), also links resolved.
 */
export function refusedPlace(realPath: string, protectedDirs: readonly string[] = [], platform: NodeJS.Platform = process.platform): LocalRefusal | null {
  if (protectedDirs.some((dir) => within(realPath, dir, platform))) return 'data-dir';
  if ((systemPlaces[platform] ?? []).some((place) => within(realPath, place, platform))) return 'system';
  const parts = realPath.split(platform === 'win32' ? /[\\/]/ : '/');
  if (parts.some((part) => secretFolders.has(part))) return 'secret-file';
  if (secretFileNames.test(parts[parts.length - 1] ?? '')) return 'secret-file';
  return null;
}

/** True when the text holds a PEM block or a PuTTY key: never a list, always a secret or a certificate. */
export function containsKeyMaterial(text: string): boolean {
  return keyHeader.test(text);
}

/** The path with every link resolved; a folder that does not exist yet resolves as written. */
export async function realPathOf(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch {
    return path.resolve(target);
  }
}

/** Resolves each protected folder once (the data directory may itself be a link). */
export async function realDirs(dirs: readonly string[]): Promise<string[]> {
  return Promise.all(dirs.map((dir) => realPathOf(dir)));
}

export interface LocalCheckOptions {
  /** The console's own folders (its data directory). */
  protectedDirs?: readonly string[];
  maxBytes?: number;
  platform?: NodeJS.Platform;
}

/**
 * Checks a path a source names before anything is read: where it really leads, what kind of
 * thing it is, and its size. Resolves with the real path; throws LocalFileError.
 */
export async function checkLocalPath(target: string, kind: 'file' | 'folder', options: LocalCheckOptions = {}): Promise<string> {
  const info = await stat(target).catch(() => null);
  if (!info) throw new LocalFileError('missing', target);
  const real = await realPathOf(target);
  const place = refusedPlace(real, await realDirs(options.protectedDirs ?? []), options.platform);
  if (place) throw new LocalFileError(place, target);
  if (kind === 'folder') {
    if (!info.isDirectory()) throw new LocalFileError('not-a-folder', target);
    return real;
  }
  if (info.isDirectory()) throw new LocalFileError('not-a-file', target);
  if (!info.isFile()) throw new LocalFileError('not-regular', target);
  const maxBytes = options.maxBytes ?? maxLocalListBytes;
  if (info.size > maxBytes) throw new LocalFileError('too-large', target, info.size);
  return real;
}

/**
 * Reads a list file: checked as checkLocalPath does, then opened without blocking (a file swapped
 * for a pipe after the check opens at once and is refused on its type) and read no further than
 * its size at opening, within the limit.
 */
export async function readLocalFile(target: string, options: LocalCheckOptions = {}): Promise<Uint8Array> {
  const real = await checkLocalPath(target, 'file', options);
  const maxBytes = options.maxBytes ?? maxLocalListBytes;
  const handle = await open(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new LocalFileError('not-regular', target);
    if (info.size > maxBytes) throw new LocalFileError('too-large', target, info.size);
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    // Bounded by the size at opening: a file still growing is read as it was.
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The first bytes of a regular file, as text (for the key check when a source is added). */
export async function readHead(realFile: string, bytes = keySniffBytes): Promise<string> {
  const handle = await open(realFile, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}
