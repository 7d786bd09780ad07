// Who is signed in to the X session we drive: the name shown on the teacher's grid.

import { userInfo } from 'node:os';
import { readSessions } from './session-display.js';

/**
 * The session helper normally runs as the signed-in user: that user is the answer. When it runs
 * as root (a single-seat PC where the service drives the display itself), ask logind which
 * session owns the display; without logind, fall back to our own account.
 */
export async function sessionUserName(display: string): Promise<string | null> {
  const own = ownName();
  if (process.getuid?.() !== 0) return own;
  const fromLogind = await logindUserOf(display);
  return fromLogind ?? own;
}

function ownName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? null;
  }
}

async function logindUserOf(display: string): Promise<string | null> {
  const wanted = display.replace(/\.\d+$/, '');
  const sessions = await readSessions();
  return sessions.find((s) => s.display === wanted && s.state !== 'closing')?.user || null;
}
