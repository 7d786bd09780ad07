// Crash-safe file replacement for the console's own files (certificate, key, console.json): write
// a temp file, fsync it, rename it over the target, fsync the folder. A reader sees the old file
// or the new one, never half of one, and after a power cut the new one is really on disk.
// (The agent has its own copy of this: the layers never import each other.)

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces `file` with `content` atomically and durably. `mode` applies to the new file (0o600
 * for keys): the temp file is created with it, so a secret is never readable by others.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, mode = 0o644): void {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
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
      // Best effort: a leftover temp file is never read.
    }
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
  syncFolder(dirname(file));
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
