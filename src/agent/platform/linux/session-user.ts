// Who is signed in to the X session we drive: the name shown on the teacher's grid.

import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';

/** loginctl is a local D-Bus call; if it takes longer than this, do without it. */
export const loginctlTimeoutMs = 2_000;

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: loginctlTimeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

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
  const list = await run('loginctl', ['list-sessions', '--no-legend']);
  const ids = list
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id): id is string => !!id);
  const wanted = display.replace(/\.\d+$/, '');
  for (const id of ids) {
    const props = await run('loginctl', ['show-session', id, '-p', 'Display', '-p', 'Name', '-p', 'State']);
    const map = new Map(props.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    if (map.get('Display') === wanted && map.get('State') !== 'closing') return map.get('Name') || null;
  }
  return null;
}
