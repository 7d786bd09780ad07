// Which process is the X server of a display. Its PID decides what a contested lock must never
// pause (pausing the X server freezes the whole screen, lock included) and which -auth file lets
// the agent in. /tmp/.X<N>-lock names a PID, but under rootless Xorg (startx, GDM) the student
// owns that file and can write any PID into it: so it is trusted only when root owns it, and even
// then checked. The X server is the process that holds the display's listening socket
// (@/tmp/.X11-unix/X<N>, an abstract name no one else can take while the server holds it, or the
// path socket): the socket's inode from /proc/net/unix, found among the descriptors of a process
// whose executable is a root-owned X server binary.

import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readUntrustedFile } from './untrusted-file.js';

/** Executables that are X servers (the basename of /proc/PID/exe). */
export const xServerExecutables: ReadonlySet<string> = new Set(['Xorg', 'X', 'Xvfb', 'Xephyr', 'Xnest', 'Xvnc', 'Xtigervnc', 'Xtightvnc', 'Xwayland', 'Xdummy']);

/** Processes looked at when searching for the X server (a lab PC runs a few hundred). */
export const maxProcessesExamined = 65_536;

/** Descriptors of one candidate looked at (Xorg holds one per client, at most a few thousand). */
export const maxDescriptorsExamined = 16_384;

/** /proc/net/unix can be long on a busy PC; more than this is not read. */
export const maxUnixSocketTableBytes = 16 * 1024 * 1024;

/** Largest command line read (Xorg's is a few hundred bytes). */
export const maxCommandLineBytes = 64 * 1024;

/** The __SO_ACCEPTCON flag of /proc/net/unix: the socket listens. */
const socketListens = 0x10000;

export interface XServerProcess {
  pid: number;
  /** Its command line (for -auth FILE). */
  args: string[];
  /** The executable (/proc/PID/exe), e.g. /usr/lib/xorg/Xorg. */
  exe: string;
}

/**
 * Inodes of the sockets listening for display `number`, the abstract one first (/proc/net/unix
 * lines: "Num RefCount Protocol Flags Type St Inode Path"; abstract names start with '@').
 */
export function listeningSocketInodes(procNetUnix: string, number: number): string[] {
  const wanted = [`@/tmp/.X11-unix/X${number}`, `/tmp/.X11-unix/X${number}`];
  const found: Array<{ rank: number; inode: string }> = [];
  for (const line of procNetUnix.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const rank = wanted.indexOf(fields.slice(7).join(' '));
    if (rank < 0) continue;
    const flags = Number.parseInt(fields[3]!, 16);
    if (!Number.isFinite(flags) || (flags & socketListens) === 0) continue;
    found.push({ rank, inode: fields[6]! });
  }
  return found.sort((a, b) => a.rank - b.rank).map((f) => f.inode);
}

/**
 * The display number of a local display (":0", ":1.0", "unix:2"); null for a remote display or
 * anything else. The one parser for every caller (session-display.ts, xauthority.ts, desktop.ts):
 * "unix:N" names the same local server as ":N", and ":01" the same as ":1" (libxcb reads the
 * number, and looks up the cookie under "1").
 */
export function localDisplayNumber(display: string): number | null {
  const m = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(display.trim());
  return m ? Number(m[1]) : null;
}

export interface XServerSearchDirs {
  proc: string;
  tmp: string;
}

const liveSystem: XServerSearchDirs = { proc: '/proc', tmp: '/tmp' };

/** The X server of local display `number`, or null when no process is seen holding its socket. */
export async function findXServerProcess(number: number, dirs: XServerSearchDirs = liveSystem): Promise<XServerProcess | null> {
  const table = await readUntrustedFile(join(dirs.proc, 'net', 'unix'), maxUnixSocketTableBytes).catch(() => null);
  if (!table) return null;
  const inodes = listeningSocketInodes(table.toString('latin1'), number);
  if (inodes.length === 0) return null;
  const targets = new Set(inodes.map((inode) => `socket:[${inode}]`));
  const tried = new Set<number>();
  const holds = async (pid: number): Promise<XServerProcess | null> => {
    if (tried.has(pid)) return null;
    tried.add(pid);
    const exe = await xServerExecutable(pid, dirs.proc);
    if (!exe || !(await holdsSocket(pid, targets, dirs.proc))) return null;
    const cmdline = await readUntrustedFile(join(dirs.proc, String(pid), 'cmdline'), maxCommandLineBytes).catch(() => null);
    return { pid, exe, args: cmdline ? cmdline.toString('latin1').split('\0').filter(Boolean) : [] };
  };
  // The lock file first, when root wrote it: usually right, and then no scan is needed.
  const fromLock = await rootOwnedLockPid(number, dirs.tmp);
  if (fromLock !== null) {
    const server = await holds(fromLock);
    if (server) return server;
  }
  let names: string[];
  try {
    names = await readdir(dirs.proc);
  } catch {
    return null;
  }
  let examined = 0;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    if (++examined > maxProcessesExamined) break;
    const server = await holds(Number(name));
    if (server) return server;
  }
  return null;
}

/** The PID in /tmp/.X<N>-lock when root owns that file (a plain file, not a link); else null. */
async function rootOwnedLockPid(number: number, tmpDir: string): Promise<number | null> {
  const file = join(tmpDir, `.X${number}-lock`);
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.uid !== 0) return null;
    const pid = Number((await readUntrustedFile(file, 64)).toString('latin1').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/** /proc/PID/exe when it is a root-owned X server binary; null otherwise. */
async function xServerExecutable(pid: number, procDir: string): Promise<string | null> {
  try {
    const exe = await readlink(join(procDir, String(pid), 'exe'));
    if (!xServerExecutables.has(basename(exe))) return null;
    // A copy in a student's folder is not the X server they log in to.
    const info = await stat(join(procDir, String(pid), 'exe'));
    return info.uid === 0 && (info.mode & 0o022) === 0 ? exe : null;
  } catch {
    return null;
  }
}

async function holdsSocket(pid: number, targets: ReadonlySet<string>, procDir: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(join(procDir, String(pid), 'fd'));
  } catch {
    return false;
  }
  for (const fd of fds.slice(0, maxDescriptorsExamined)) {
    const target = await readlink(join(procDir, String(pid), 'fd', fd)).catch(() => '');
    if (targets.has(target)) return true;
  }
  return false;
}
