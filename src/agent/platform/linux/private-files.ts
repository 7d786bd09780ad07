// The agent's own notes on disk (paused programs, the keymap snapshot, the X cookie it hands to
// the tools it runs): kept in a directory only the agent's account can write, so a student can
// neither read a secret there nor swap a note for one of their own.

import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../system/atomic-file.js';

/** The agent's own directory for notes that must survive it (root: /run/safelab). */
export function agentStateDir(): string {
  if (process.getuid?.() === 0) return '/run/safelab';
  const runtime = process.env['XDG_RUNTIME_DIR'];
  if (runtime) return join(runtime, 'safelab');
  return join(tmpdir(), `safelab-${process.getuid?.() ?? 'user'}`);
}

/** Creates `dir` (0700) if needed and checks that it is ours and that no one else can write in it. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (process.getuid && info.uid !== process.getuid()) throw new Error(`${dir} belongs to another account`);
  if ((info.mode & 0o022) !== 0) throw new Error(`${dir} is writable by other accounts`);
}

/**
 * Writes `text` to `file` (mode 0600) so that a crash leaves either the old or the new note, never
 * half of one (system/atomic-file: a fresh temporary file that O_EXCL never opens through a
 * link, synced, renamed into place, the directory synced). The directory is created 0700 and
 * must belong to us.
 */
export async function writeNoteAtomically(file: string, text: string): Promise<void> {
  await ensurePrivateDir(dirname(file));
  await writeFileAtomic(file, text, { mode: 0o600 });
}
