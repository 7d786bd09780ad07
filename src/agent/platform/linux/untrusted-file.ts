// Reading a small file that another account controls (a student's ~/.Xauthority, /proc files of
// their processes) as root without ever blocking the agent on it: a FIFO in its place must not
// hang the read, a symlink must not lead root elsewhere, a huge file must not be slurped, a file
// on a FUSE mount that never answers must not freeze the event loop that also answers DNS.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** A read of a small local file that takes longer than this is not going to work. */
export const untrustedReadTimeoutMs = 2_000;

/** First buffer for a file whose size fstat does not tell (/proc files); most fit in it. */
const initialReadBytes = 8 * 1024;

/** Reads in flight, per path: a second read of a file whose first read hangs fails at once. */
const readsInFlight = new Set<string>();

/**
 * Reads `file`: opened with O_NOFOLLOW | O_NONBLOCK | O_NOCTTY (no symlink, no waiting for a FIFO's
 * writer, no controlling terminal), checked with fstat before a byte is read (a regular file of
 * at most `maxBytes`), read asynchronously (off the event loop) under a deadline, one read per
 * path at a time (a file that hangs the kernel holds one thread-pool thread, never all of them).
 * Rejects with a readable reason (the errno code when the file cannot be opened).
 */
export async function readUntrustedFile(file: string, maxBytes: number, timeoutMs = untrustedReadTimeoutMs): Promise<Buffer> {
  if (readsInFlight.has(file)) throw new Error(`an earlier read of ${file} has not finished (the file does not answer)`);
  readsInFlight.add(file);
  const reading = readChecked(file, maxBytes).finally(() => readsInFlight.delete(file));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading ${file} took longer than ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([reading, deadline]);
  } finally {
    clearTimeout(timer);
    reading.catch(() => undefined);
  }
}

async function readChecked(file: string, maxBytes: number): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a symlink fails with ELOOP: say what it is.
    throw new Error(code === 'ELOOP' ? `${file} is a symbolic link` : (code ?? (e as Error).message));
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    // (/proc files say 0 bytes and are read to their end like any other.)
    if (stat.size > maxBytes) throw new Error(`${file} is too big (${stat.size} bytes)`);
    // One byte more than allowed tells a file that grew since fstat. The buffer starts at the
    // size fstat says (or a few KB for /proc files, which say 0) and doubles as needed: zeroing
    // the whole limit up front (16 MB for /proc/net/unix) for a file of a few KB would cost more
    // than the read. allocUnsafe is safe here as only the bytes read are ever handed out.
    const limit = maxBytes + 1;
    let buf = Buffer.allocUnsafe(Math.min(limit, Math.max(stat.size + 1, initialReadBytes)));
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit, buf.length * 2));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new Error(`${file} is too big (more than ${maxBytes} bytes)`);
    }
    return buf.subarray(0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
