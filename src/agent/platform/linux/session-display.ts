// Finding the student's X display when the agent runs as a service, with no DISPLAY of its own:
// the active local X session logind knows of, else the one X server running on this PC; and the
// Xauthority file that lets the agent in (the X server's own -auth file, which display managers
// give it, or the session's $XAUTHORITY). Reading the facts (files under /tmp and /proc,
// loginctl) is kept apart from choosing among them, so the choice is unit-tested.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** loginctl is a local D-Bus call; if it takes longer than this, do without it. */
export const loginctlTimeoutMs = 2_000;

/** Sessions asked about (one loginctl call each); a lab PC has one or two. */
export const maxSessionsExamined = 16;

/** A local X server: its display number and process. */
export interface XServer {
  number: number;
  pid: number;
  /** Its command line, for -auth FILE. */
  args: string[];
}

/** A logind session, as `loginctl show-session` describes it. */
export interface LoginSession {
  id: string;
  type: string;
  display: string;
  active: boolean;
  remote: boolean;
  state: string;
  user: string;
  leader: number;
}

export interface DisplayFacts {
  servers: XServer[];
  sessions: LoginSession[];
  /** The environment of a process (root reads any), or null. */
  environOf: (pid: number) => Record<string, string> | null;
  fileExists: (path: string) => boolean;
}

export interface FoundDisplay {
  display: string;
  /** The Xauthority file to use, or null (the server lets us in without one, or we cannot tell). */
  xauthority: string | null;
  /** How it was found, for the log. */
  how: string;
}

/** Picks the display and its Xauthority from the facts; null when no X server runs here. */
export function chooseDisplay(facts: DisplayFacts): FoundDisplay | null {
  const live = new Map(facts.servers.map((s) => [s.number, s]));
  const x11Sessions = facts.sessions.filter((s) => s.type === 'x11' && !s.remote && live.has(displayNumber(s.display) ?? -1));
  // The session in front of the screen first, then any other on a live server.
  const session = x11Sessions.find((s) => s.active && s.state === 'active') ?? x11Sessions.find((s) => s.active) ?? x11Sessions[0];
  let server: XServer | undefined;
  let how: string;
  if (session) {
    server = live.get(displayNumber(session.display)!);
    how = `logind session ${session.id} of ${session.user || '?'}${session.active ? ' (active)' : ''}`;
  } else {
    // No logind (or the greeter has no session yet): the X server itself; the lowest display if several.
    server = [...live.values()].sort((a, b) => a.number - b.number)[0];
    how = live.size > 1 ? `the first of ${live.size} X servers` : 'the only X server';
  }
  if (!server) return null;
  return { display: `:${server.number}`, xauthority: xauthorityFor(server, session, facts), how };
}

function xauthorityFor(server: XServer, session: LoginSession | undefined, facts: DisplayFacts): string | null {
  // Display managers start Xorg with -auth FILE: the server's own cookies, readable by root.
  const at = server.args.indexOf('-auth');
  const serverAuth = at >= 0 ? server.args[at + 1] : undefined;
  if (serverAuth && facts.fileExists(serverAuth)) return serverAuth;
  // startx and friends: the session's own $XAUTHORITY.
  const fromSession = session ? facts.environOf(session.leader)?.['XAUTHORITY'] : undefined;
  if (fromSession && facts.fileExists(fromSession)) return fromSession;
  return null;
}

function displayNumber(display: string): number | null {
  const m = /^:(\d+)(?:\.\d+)?$/.exec(display.trim());
  return m ? Number(m[1]) : null;
}

// ---- reading the facts ------------------------------------------------------------------------

/** X servers with a socket in /tmp/.X11-unix, a lock file naming their pid, and that pid alive. */
export function readXServers(tmpDir = '/tmp', procDir = '/proc'): XServer[] {
  let sockets: string[];
  try {
    sockets = readdirSync(join(tmpDir, '.X11-unix'));
  } catch {
    return [];
  }
  const servers: XServer[] = [];
  for (const name of sockets) {
    const m = /^X(\d+)$/.exec(name);
    if (!m) continue;
    try {
      const pid = Number(readFileSync(join(tmpDir, `.X${m[1]}-lock`), 'latin1').trim());
      if (!Number.isInteger(pid) || pid <= 1) continue;
      const args = readFileSync(join(procDir, String(pid), 'cmdline'), 'latin1').split('\0').filter(Boolean);
      servers.push({ number: Number(m[1]), pid, args });
    } catch {
      // a stale socket (no lock file, or the server is gone)
    }
  }
  return servers;
}

/** `loginctl show-session` output (KEY=value lines) as a session. */
export function parseSession(id: string, text: string): LoginSession {
  const props = new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const),
  );
  return {
    id,
    type: props.get('Type') ?? '',
    display: props.get('Display') ?? '',
    active: props.get('Active') === 'yes',
    remote: props.get('Remote') === 'yes',
    state: props.get('State') ?? '',
    user: props.get('Name') ?? '',
    leader: Number(props.get('Leader') ?? 0),
  };
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: loginctlTimeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

/** Sessions logind knows (none without systemd-logind). */
export async function readSessions(): Promise<LoginSession[]> {
  const list = await run('loginctl', ['list-sessions', '--no-legend']);
  const ids = list
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id): id is string => !!id)
    .slice(0, maxSessionsExamined);
  const sessions: LoginSession[] = [];
  for (const id of ids) {
    const text = await run('loginctl', ['show-session', id, '-p', 'Type', '-p', 'Display', '-p', 'Active', '-p', 'Remote', '-p', 'State', '-p', 'Name', '-p', 'Leader']);
    if (text) sessions.push(parseSession(id, text));
  }
  return sessions;
}

export function readEnviron(pid: number, procDir = '/proc'): Record<string, string> | null {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(join(procDir, String(pid), 'environ'), 'latin1').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return null;
  }
}

/** The display this PC's student sees, from the live system; null when there is none. */
export async function findSessionDisplay(): Promise<FoundDisplay | null> {
  const servers = readXServers();
  if (servers.length === 0) return null;
  return chooseDisplay({ servers, sessions: await readSessions(), environOf: (pid) => readEnviron(pid), fileExists: existsSync });
}
