// Finding the student's X display when the agent runs as a service, with no DISPLAY of its own:
// the active local X session logind knows of, else the one X server running on this PC; and the
// Xauthority file that lets the agent in (the X server's own -auth file, which display managers
// give it, or the session's $XAUTHORITY). Reading the facts (files under /tmp and /proc,
// loginctl) is kept apart from choosing among them, so the choice is unit-tested. The X server is
// the process holding the display's socket (x-server.ts), never whatever PID a lock file names;
// files and /proc entries of the student's processes are read with readUntrustedFile.

import { execFile } from 'node:child_process';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readUntrustedFile } from './untrusted-file.js';
import { findXServerProcess, localDisplayNumber, type XServerSearchDirs } from './x-server.js';

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
  /** The user's numeric id (logind's User=), or null when not given. */
  uid: number | null;
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
  const x11Sessions = facts.sessions.filter((s) => s.type === 'x11' && !s.remote && live.has(localDisplayNumber(s.display) ?? -1));
  // The session in front of the screen first, then any other on a live server.
  const session = x11Sessions.find((s) => s.active && s.state === 'active') ?? x11Sessions.find((s) => s.active) ?? x11Sessions[0];
  let server: XServer | undefined;
  let how: string;
  if (session) {
    server = live.get(localDisplayNumber(session.display)!);
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

// ---- reading the facts ------------------------------------------------------------------------

/** Environments larger than this are not read (a session's is a few kilobytes). */
export const maxEnvironBytes = 256 * 1024;

/** X servers with a socket in /tmp/.X11-unix and a live process holding it (see x-server.ts). */
export async function readXServers(dirs: XServerSearchDirs = { proc: '/proc', tmp: '/tmp' }): Promise<XServer[]> {
  let sockets: string[];
  try {
    sockets = await readdir(join(dirs.tmp, '.X11-unix'));
  } catch {
    return [];
  }
  const servers: XServer[] = [];
  for (const name of sockets) {
    const m = /^X(\d+)$/.exec(name);
    if (!m) continue;
    // A stale socket (the server is gone) has no process holding it.
    const server = await findXServerProcess(Number(m[1]), dirs);
    if (server) servers.push({ number: Number(m[1]), pid: server.pid, args: server.args });
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
    uid: /^\d+$/.test(props.get('User') ?? '') ? Number(props.get('User')) : null,
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
    const text = await run('loginctl', ['show-session', id, '-p', 'Type', '-p', 'Display', '-p', 'Active', '-p', 'Remote', '-p', 'State', '-p', 'Name', '-p', 'User', '-p', 'Leader']);
    if (text) sessions.push(parseSession(id, text));
  }
  return sessions;
}

/** The environment of a process (the session leader may be the student's own shell), or null. */
export async function readEnviron(pid: number, procDir = '/proc'): Promise<Record<string, string> | null> {
  try {
    const env: Record<string, string> = {};
    const text = (await readUntrustedFile(join(procDir, String(pid), 'environ'), maxEnvironBytes)).toString('latin1');
    for (const entry of text.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return null;
  }
}

/** Whether `path` exists, asked off the event loop; a path that does not answer in time does not count. */
async function existsSoon(path: string, timeoutMs = loginctlTimeoutMs): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const asked = access(path).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The display this PC's student sees, from the live system; null when there is none. */
export async function findSessionDisplay(): Promise<FoundDisplay | null> {
  const servers = await readXServers();
  if (servers.length === 0) return null;
  const sessions = await readSessions();
  // Facts are gathered first (asynchronously), then chosen among (synchronously, unit-tested).
  const environs = new Map<number, Record<string, string> | null>();
  for (const s of sessions) if (s.type === 'x11' && s.leader > 1 && !environs.has(s.leader)) environs.set(s.leader, await readEnviron(s.leader));
  const candidates = [
    ...servers.map((s) => (s.args.includes('-auth') ? s.args[s.args.indexOf('-auth') + 1] : undefined)),
    ...[...environs.values()].map((env) => env?.['XAUTHORITY']),
  ].filter((f): f is string => typeof f === 'string' && f.length > 0);
  const existing = new Set<string>();
  for (const file of candidates) if (await existsSoon(file)) existing.add(file);
  return chooseDisplay({ servers, sessions, environOf: (pid) => environs.get(pid) ?? null, fileExists: (f) => existing.has(f) });
}
