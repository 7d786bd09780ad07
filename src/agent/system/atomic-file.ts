// Crash-safe, non-blocking file replacement for system files and large blobs: write a temp file
// beside the target, fsync it, rename it over the target, fsync the folder. After a power cut the
// target holds the old or the new content. Async (unlike ../atomic-file.ts) so persisting a
// multi-megabyte filter list never stalls DNS answers; temp names follow the same
// "<name>.tmp-<pid>-<random>" pattern so the agent's start-up sweep cleans them too.

import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644). */
  mode?: number;
  /** Owner to give the new file (root only; ignored when not permitted). */
  uid?: number;
  gid?: number;
}

function tempNameFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** fsync a folder so a rename inside it survives a power cut (best effort where unsupported). */
export async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, fsConstants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Replaces `target` with `data` atomically (temp + fsync + rename + folder fsync). */
export async function writeFileAtomic(target: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempNameFor(target);
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    // open()'s mode is filtered by the umask; set it exactly.
    await handle.chmod(options.mode ?? 0o644);
    if (options.uid !== undefined && options.gid !== undefined) {
      await handle.chown(options.uid, options.gid).catch(() => {});
    }
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncFolder(path.dirname(target));
}

/** Replaces `target` (file or link) with a symbolic link to `linkTarget`, atomically. */
export async function replaceWithSymlink(target: string, linkTarget: string): Promise<void> {
  const temp = tempNameFor(target);
  await fs.symlink(linkTarget, temp);
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncFolder(path.dirname(target));
}

/** Removes a file and makes the removal durable. */
export async function removeFileDurably(target: string): Promise<void> {
  await fs.rm(target, { force: true });
  await syncFolder(path.dirname(target));
}
