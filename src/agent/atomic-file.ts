// Crash-safe file replacement: write a temp file, fsync it, rename it over the target, fsync the
// folder. A reader sees either the old file or the new one, never half of one.

import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Temp files are "<name>.tmp-<pid>-<random>"; readers never look at them. */
const tempMarker = '.tmp-';

/**
 * Replaces `path` with `content` atomically. `mode` applies to the new file (e.g. 0o600 for
 * keys): the temp file is created with it, so the secret is never readable by others, not even
 * for an instant.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): void {
  const temp = `${path}${tempMarker}${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const fd = openSync(temp, 'wx', mode);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Best effort: a leftover temp file is ignored by readers and swept later.
    }
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  syncFolder(dirname(path));
}

/** Makes the rename itself durable. Windows cannot open folders for fsync; NTFS journals renames. */
function syncFolder(folder: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes temp files a crash left behind in `folder` (other than our own process's). */
export function sweepTempFiles(folder: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return removed;
  }
  const ours = `${tempMarker}${process.pid}-`;
  for (const name of names) {
    if (!name.includes(tempMarker) || name.includes(ours)) continue;
    try {
      unlinkSync(join(folder, name));
      removed.push(basename(name));
    } catch {
      // Not ours to fight over; it will be retried on the next start.
    }
  }
  return removed;
}
