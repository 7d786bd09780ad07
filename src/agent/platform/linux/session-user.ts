// Who is signed in to the X session we drive: the name shown on the teacher's grid, and the
// account whose programs a contested lock may pause.

import { userInfo } from 'node:os';
import { readSessions } from './session-display.js';

export interface SessionUser {
  name: string | null;
  /** The account's numeric id when known for sure (our own, or logind's); null otherwise. */
  uid: number | null;
}

/**
 * The session helper normally runs as the signed-in user: that user is the answer. When it runs
 * as root (a single-seat PC where the service drives the display itself), ask logind which
 * session owns the display; without logind, the name falls back to our own account and the
 * account id stays unknown (root is nobody's session).
 */
export async function sessionUser(display: string): Promise<SessionUser> {
  const ownUid = process.getuid?.() ?? null;
  if (ownUid !== 0) return { name: ownName(), uid: ownUid };
  const wanted = display.replace(/\.\d+$/, '');
  const session = (await readSessions()).find((s) => s.display === wanted && s.state !== 'closing');
  if (session?.user) return { name: session.user, uid: session.uid };
  return { name: ownName(), uid: null };
}

function ownName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? null;
  }
}
