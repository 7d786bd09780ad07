// Blocked attempts the console has not received yet survive a graceful agent restart (a PC shut
// down at the end of the day while the console was away): saved when the filter stops, put back in
// the queue (and the file removed) when it starts. A crash loses them; the queue is bounded anyway.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../system/atomic-file.js';
import { maxQueuedBlockedAttempts, type BlockedAttempt } from './filter.js';

/** The saved queue, next to the last good list in the agent data dir's filter folder. */
export const pendingAttemptsFileName = 'pending-blocked.json';
/** Largest saved queue read back: 1000 attempts of at most 253 + 64 characters fit with room. */
export const maxPendingAttemptsFileBytes = 512 * 1024;

const maxNameChars = 253;
const maxCategoryChars = 64;

function isAttempt(value: unknown): value is BlockedAttempt {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a['time'] === 'number' &&
    Number.isFinite(a['time']) &&
    typeof a['name'] === 'string' &&
    a['name'].length > 0 &&
    a['name'].length <= maxNameChars &&
    typeof a['category'] === 'string' &&
    a['category'].length <= maxCategoryChars
  );
}

export function pendingAttemptsPath(filterFolder: string): string {
  return path.join(filterFolder, pendingAttemptsFileName);
}

/** Writes the attempts (replacing any earlier file); nothing to save removes the file. */
export async function savePendingAttempts(file: string, attempts: readonly BlockedAttempt[]): Promise<void> {
  if (attempts.length === 0) {
    await fs.rm(file, { force: true });
    return;
  }
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const kept = attempts.slice(-maxQueuedBlockedAttempts).map((a) => ({ time: a.time, name: a.name, category: a.category }));
  await writeFileAtomic(file, JSON.stringify({ version: 1, attempts: kept }), { mode: 0o600 });
}

/**
 * Reads and removes the saved attempts. A missing file is no attempts; a damaged or oversized one
 * is removed and reported through `problem` (the attempts in it are lost, nothing else is).
 */
export async function takePendingAttempts(file: string): Promise<{ attempts: BlockedAttempt[]; problem: string | null }> {
  let text: string;
  try {
    const info = await fs.stat(file);
    if (info.size > maxPendingAttemptsFileBytes) {
      await fs.rm(file, { force: true });
      return { attempts: [], problem: `larger than ${maxPendingAttemptsFileBytes} bytes` };
    }
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { attempts: [], problem: null };
    return { attempts: [], problem: (error as Error).message };
  }
  await fs.rm(file, { force: true });
  try {
    const parsed = JSON.parse(text) as { version?: unknown; attempts?: unknown };
    if (parsed.version !== 1 || !Array.isArray(parsed.attempts)) return { attempts: [], problem: 'not a saved attempt queue' };
    const attempts = parsed.attempts.filter(isAttempt).slice(-maxQueuedBlockedAttempts);
    return { attempts, problem: attempts.length === parsed.attempts.length ? null : `${parsed.attempts.length - attempts.length} unreadable entries dropped` };
  } catch {
    return { attempts: [], problem: 'not JSON' };
  }
}
