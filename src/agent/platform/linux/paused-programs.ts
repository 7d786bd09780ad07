// Pausing a student's programs while they fight the lock. When the lock is contested (see
// contest.ts), every program of the student's account is stopped (SIGSTOP) until the teacher
// unlocks (SIGCONT): a script that kills or covers the lock in a loop cannot act while paused,
// and a paused program cannot start new ones.
//
// Never touched: root's processes, system accounts (below UID_MIN of /etc/login.defs, and
// "nobody"), accounts other than the session's user when it is known, the agent itself, its
// ancestors and helpers, the X server with its ancestors and descendants (a rootless Xorg runs
// xkbcomp as the student; pausing it would hang the server, lock included), and the programs the
// caller says the screen needs (the compositing manager: paused, it would freeze the screen on its
// last frame and a lock rebuilt after xkill would never be drawn). Which account is the student's
// comes from the X server (X-Resource tells the process of every X client).
//
// A PID is only a name that the kernel hands out again: a program is known by its PID *and* its
// start time, both re-read from /proc just before the signal and again just after it (a program
// resumed at once if the PID turned out to belong to someone else by then).
//
// The paused list is written to a recovery note (atomically, synced to disk) before the first
// signal, and no signal is sent unless it was: an agent that crashes or restarts while programs
// are paused resumes them when it starts again. Everything here is asynchronous and bounded (the
// event loop that runs this also answers DNS).
//
// Why PIDs and not the session's cgroup (cgroup.freeze): on Debian and Ubuntu desktops with
// systemd, a GDM or startx session's rootless Xorg lives in the student's session scope (freezing
// the scope freezes the X server), while programs started through `systemd-run --user` or D-Bus
// activation live in user@UID.service, outside the scope: freezing "the session" is at once too
// much and too little. Doing it right means moving processes between systemd's cgroups.

import { readFileSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { agentStateDir, writeNoteAtomically } from './private-files.js';
import { readUntrustedFile } from './untrusted-file.js';

/** Scan-and-stop rounds: a program forking while we stop it is caught in the next round. */
export const maxPauseRounds = 5;

/** One pause (all its rounds) stops starting new rounds after this long. */
export const maxPauseMs = 2_000;

/** /proc files read at once while scanning (a lab PC runs a few hundred processes). */
export const procReadConcurrency = 32;

/** Processes read per scan at most. */
export const maxProcessesRead = 65_536;

/** Largest /proc/PID/stat or status read. */
const maxProcFileBytes = 16 * 1024;

/** UID_MIN when /etc/login.defs does not say (Debian's and Ubuntu's value). */
export const defaultUidMin = 1000;

/** The overflow id ("nobody"): daemons run as it, never a student. */
export const nobodyUid = 65_534;

/** One process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Real user id. */
  uid: number;
  /** Start time in clock ticks since boot: a PID reused by another process has another start time. */
  startTicks: string;
}

/** A paused program, as the recovery note remembers it. */
export interface PausedProgram {
  pid: number;
  startTicks: string;
}

/** A process from its /proc stat and status texts; null when they do not parse. */
export function parseProcess(pid: number, stat: string, status: string): ProcessEntry | null {
  // "pid (comm) state ppid … starttime": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const uid = /^Uid:\s+(\d+)/m.exec(status);
  if (!uid || fields.length < 20 || !/^\d+$/.test(fields[19]!)) return null;
  return { pid, ppid: Number(fields[1]), uid: Number(uid[1]), startTicks: fields[19]! };
}

/** One process, read asynchronously; null when it is gone (or unreadable). */
export async function readProcess(pid: number, procDir = '/proc'): Promise<ProcessEntry | null> {
  try {
    const [stat, status] = await Promise.all([
      readUntrustedFile(join(procDir, String(pid), 'stat'), maxProcFileBytes),
      readUntrustedFile(join(procDir, String(pid), 'status'), maxProcFileBytes),
    ]);
    return parseProcess(pid, stat.toString('latin1'), status.toString('latin1'));
  } catch {
    return null;
  }
}

/** The same, synchronously: only for resuming (SIGCONT must go out before unlock answers). */
export function readProcessSync(pid: number, procDir = '/proc'): ProcessEntry | null {
  try {
    return parseProcess(pid, readFileSync(join(procDir, String(pid), 'stat'), 'latin1'), readFileSync(join(procDir, String(pid), 'status'), 'latin1'));
  } catch {
    return null;
  }
}

/** Every process of /proc (processes vanishing meanwhile are skipped), read a few at a time. */
export async function readProcesses(procDir = '/proc'): Promise<ProcessEntry[]> {
  let names: string[];
  try {
    names = (await readdir(procDir)).filter((n) => /^\d+$/.test(n)).slice(0, maxProcessesRead);
  } catch {
    return [];
  }
  const entries: ProcessEntry[] = [];
  for (let i = 0; i < names.length; i += procReadConcurrency) {
    const batch = await Promise.all(names.slice(i, i + procReadConcurrency).map((n) => readProcess(Number(n), procDir)));
    for (const entry of batch) if (entry) entries.push(entry);
  }
  return entries;
}

/** UID_MIN from the text of /etc/login.defs (defaultUidMin when absent or nonsense). */
export function uidMinFrom(loginDefs: string): number {
  const m = /^\s*UID_MIN\s+(\d+)\s*$/m.exec(loginDefs);
  const value = m ? Number(m[1]) : NaN;
  return Number.isInteger(value) && value > 0 ? value : defaultUidMin;
}

/** UID_MIN of this PC. */
export function readUidMin(loginDefsFile = '/etc/login.defs'): number {
  try {
    return uidMinFrom(readFileSync(loginDefsFile, 'latin1'));
  } catch {
    return defaultUidMin;
  }
}

export interface PausePolicy {
  /** Processes of the X clients on our display (from X-Resource). */
  xClientPids: readonly number[];
  /** The agent (never paused, nor its ancestors or helpers). */
  ownPid: number;
  /** The X server (never paused, nor its ancestors — display manager, xinit — or its descendants — xkbcomp). */
  xServerPid: number | null;
  /** Programs the screen needs (the compositing manager); kept running, their children are not. */
  keepRunningPids: readonly number[];
  /** Accounts below this are system accounts (UID_MIN). */
  uidMin: number;
  /** The session's user, when known: no other account is paused. */
  sessionUid: number | null;
}

/**
 * Which processes to pause: every process of the accounts running X clients on our display,
 * except the protected ones (see the file comment). Pure, so it is unit-tested.
 */
export function programsToPause(processes: readonly ProcessEntry[], policy: PausePolicy): ProcessEntry[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const protectedPids = new Set<number>([0, 1]);
  const protectAncestors = (pid: number | null): void => {
    // Up to init; bounded by the table size against a corrupt (cyclic) table.
    for (let p = pid === null ? undefined : byPid.get(pid), n = 0; p && n <= processes.length; p = byPid.get(p.ppid), n++) protectedPids.add(p.pid);
  };
  /** Descendants of `pid` (those passing `keep`), each visited once. */
  const protectDescendants = (pid: number, keep: (p: ProcessEntry) => boolean): void => {
    const seen = new Set<number>([pid]);
    const stack = [pid];
    while (stack.length > 0) {
      for (const child of children.get(stack.pop()!) ?? []) {
        const entry = byPid.get(child);
        if (seen.has(child) || !entry || !keep(entry)) continue;
        seen.add(child);
        protectedPids.add(child);
        stack.push(child);
      }
    }
  };
  protectAncestors(policy.ownPid);
  protectedPids.add(policy.ownPid);
  // Our own helpers (xkbcomp, loginctl…): children running as our account. A student's program
  // that happens to descend from us (a session helper started it) is still the student's.
  const ownUid = byPid.get(policy.ownPid)?.uid;
  protectDescendants(policy.ownPid, (p) => p.uid === ownUid);
  if (policy.xServerPid !== null) {
    protectAncestors(policy.xServerPid);
    protectDescendants(policy.xServerPid, () => true);
  }
  for (const pid of policy.keepRunningPids) protectedPids.add(pid);
  const pausable = (uid: number): boolean => uid !== 0 && uid >= policy.uidMin && uid !== nobodyUid && (policy.sessionUid === null || uid === policy.sessionUid);
  const students = new Set<number>();
  for (const pid of policy.xClientPids) {
    const p = byPid.get(pid);
    if (p && !protectedPids.has(pid) && pausable(p.uid)) students.add(p.uid);
  }
  return processes.filter((p) => students.has(p.uid) && pausable(p.uid) && !protectedPids.has(p.pid));
}

/** Where the recovery note lives by default: a directory only this account can write. */
export function defaultRecoveryFile(display: string): string {
  const name = `lock-${display.replace(/[^0-9A-Za-z.]/g, '_')}.json`;
  return join(agentStateDir(), name);
}

interface RecoveryNote {
  display: string;
  paused: PausedProgram[];
}

/** What the desktop knows when it pauses (the rest — our PID, UID_MIN — is the pauser's). */
export type PauseRequest = Pick<PausePolicy, 'xClientPids' | 'xServerPid' | 'keepRunningPids' | 'sessionUid'>;

const keyOf = (p: PausedProgram): string => `${p.pid}:${p.startTicks}`;

export class PausedPrograms {
  /** Paused programs by (pid, start time). */
  private readonly paused = new Map<string, PausedProgram>();
  private pausing: Promise<number> | null = null;
  /** Bumped by resumeAll: a pause still running then stops and undoes what it does after. */
  private generation = 0;
  private refusedLogged = false;
  private readonly uidMin: number;
  private readonly scan: () => Promise<ProcessEntry[]>;

  constructor(
    private readonly display: string,
    private readonly recoveryFile: string,
    private readonly log: (line: string) => void,
    private readonly procDir = '/proc',
    options: {
      uidMin?: number;
      /** The process table as a pause scans it (default: readProcesses); each program is still re-read from procDir before its signal. */
      scan?: () => Promise<ProcessEntry[]>;
    } = {},
  ) {
    this.uidMin = options.uidMin ?? readUidMin();
    this.scan = options.scan ?? (() => readProcesses(this.procDir));
  }

  get count(): number {
    return this.paused.size;
  }

  /** PIDs paused now (tests and the log). */
  pids(): number[] {
    return [...this.paused.values()].map((p) => p.pid);
  }

  /**
   * Pauses the student's programs (see programsToPause), in rounds until no new one appears.
   * One pause at a time: a call while one runs gets that one's answer. Resolves how many were paused.
   */
  pause(request: PauseRequest): Promise<number> {
    this.pausing ??= this.pauseRounds(request).finally(() => {
      this.pausing = null;
    });
    return this.pausing;
  }

  private async pauseRounds(request: PauseRequest): Promise<number> {
    const generation = this.generation;
    const policy: PausePolicy = { ...request, ownPid: process.pid, uidMin: this.uidMin };
    const deadline = Date.now() + maxPauseMs;
    let added = 0;
    for (let round = 0; round < maxPauseRounds && Date.now() < deadline && generation === this.generation; round++) {
      const targets = programsToPause(await this.scan(), policy).filter((p) => !this.paused.has(keyOf(p)));
      if (targets.length === 0 || generation !== this.generation) break;
      // Noted before the first signal: a crash right after still leaves the list to resume. No note, no signal.
      for (const p of targets) this.paused.set(keyOf(p), { pid: p.pid, startTicks: p.startTicks });
      if (!(await this.save())) {
        for (const p of targets) this.paused.delete(keyOf(p));
        break;
      }
      for (const p of targets) {
        if (await this.stop(p, generation)) added++;
        else this.paused.delete(keyOf(p));
      }
    }
    if (added > 0) this.log(`lock.programs-paused count=${added} total=${this.paused.size}`);
    // Unlocked while a note was being written: no note may outlive the pause it describes.
    if (generation !== this.generation && this.paused.size === 0) this.forget();
    return added;
  }

  /**
   * SIGSTOP to `target` if it is still the same program (start time and account re-read just
   * before); re-read just after, and SIGCONT at once when the PID belongs to another program by
   * then (it was reused between the two reads). True when the program is paused.
   */
  private async stop(target: ProcessEntry, generation: number): Promise<boolean> {
    const same = (p: ProcessEntry | null): boolean => p !== null && p.startTicks === target.startTicks && p.uid === target.uid;
    if (!same(await readProcess(target.pid, this.procDir)) || generation !== this.generation) return false;
    try {
      process.kill(target.pid, 'SIGSTOP');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM' && !this.refusedLogged) {
        this.refusedLogged = true;
        this.log(`lock.pause-refused pid=${target.pid} reason="the agent may not signal this account's programs (run it as root)"`);
      }
      return false;
    }
    const after = await readProcess(target.pid, this.procDir);
    if (!same(after) || generation !== this.generation) {
      // Another program got the PID in between, or the teacher unlocked meanwhile: undo.
      try {
        process.kill(target.pid, 'SIGCONT');
      } catch {
        // gone
      }
      if (!same(after)) this.log(`lock.pause-raced pid=${target.pid} reason="the PID was given to another program; resumed it"`);
      return false;
    }
    return true;
  }

  /** Resumes every program we paused (unlock, close); a pause under way stops and undoes its own. */
  resumeAll(reason: string): void {
    this.generation++;
    if (this.paused.size === 0) return;
    const resumed = resume([...this.paused.values()], this.procDir);
    this.log(`lock.programs-resumed count=${resumed} reason=${reason}`);
    this.paused.clear();
    this.forget();
  }

  /** At start: resumes what a previous run of the agent paused and could not resume (it crashed). */
  resumeLeftovers(): void {
    let note: RecoveryNote;
    try {
      note = JSON.parse(readFileSync(this.recoveryFile, 'utf8')) as RecoveryNote;
    } catch {
      return;
    }
    const list = Array.isArray(note.paused) ? note.paused.filter((p) => Number.isInteger(p?.pid) && p.pid > 1 && typeof p.startTicks === 'string') : [];
    const resumed = resume(list, this.procDir);
    this.log(`lock.programs-resumed count=${resumed} reason=left-paused-by-previous-run`);
    this.forget();
  }

  /** Writes the recovery note; false (logged) when it could not be saved. */
  private async save(): Promise<boolean> {
    const note: RecoveryNote = { display: this.display, paused: [...this.paused.values()] };
    try {
      await writeNoteAtomically(this.recoveryFile, JSON.stringify(note));
      return true;
    } catch (e) {
      this.log(`lock.pause-not-saved path=${JSON.stringify(this.recoveryFile)} error=${JSON.stringify((e as Error).message)} (programs are not paused without a note to resume them from)`);
      return false;
    }
  }

  private forget(): void {
    rmSync(this.recoveryFile, { force: true });
  }
}

/** SIGCONT to each program that is still the same process (same start time); returns how many. */
function resume(list: readonly PausedProgram[], procDir: string): number {
  let resumed = 0;
  for (const p of list) {
    const now = readProcessSync(p.pid, procDir);
    if (!now || now.startTicks !== p.startTicks) continue;
    try {
      process.kill(p.pid, 'SIGCONT');
      resumed++;
    } catch {
      // gone meanwhile
    }
  }
  return resumed;
}
