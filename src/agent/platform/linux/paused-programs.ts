// Pausing a student's programs while they fight the lock. When the lock is contested (see
// contest.ts), every program of the student's account is stopped (SIGSTOP) until the teacher
// unlocks (SIGCONT): a script that kills or covers the lock in a loop cannot act while paused,
// and a paused program cannot start new ones. Never touched: root's processes, the agent itself,
// its ancestors, its helpers (children running as its own account), the X server and its ancestors. Which account is the student's
// comes from the X server (X-Resource tells the process of every X client).
//
// The paused list is written to a recovery file before the first signal, so an agent that
// crashes or restarts while programs are paused resumes them when it starts again.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Scan-and-stop rounds: a program forking while we stop it is caught in the next round. */
export const maxPauseRounds = 5;

/** One process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Real user id. */
  uid: number;
  /** Start time in clock ticks since boot: a PID reused by another process has another start time. */
  startTicks: string;
}

/** A paused program, as the recovery file remembers it. */
export interface PausedProgram {
  pid: number;
  startTicks: string;
}

/** Reads every process of /proc (processes vanishing meanwhile are skipped). */
export function readProcesses(procDir = '/proc'): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  let names: string[];
  try {
    names = readdirSync(procDir);
  } catch {
    return entries;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcess(Number(name), procDir);
    if (entry) entries.push(entry);
  }
  return entries;
}

export function readProcess(pid: number, procDir = '/proc'): ProcessEntry | null {
  try {
    const stat = readFileSync(join(procDir, String(pid), 'stat'), 'latin1');
    // "pid (comm) state ppid … starttime": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(join(procDir, String(pid), 'status'), 'latin1');
    const uid = /^Uid:\s+(\d+)/m.exec(status);
    if (!uid || fields.length < 20) return null;
    return { pid, ppid: Number(fields[1]), uid: Number(uid[1]), startTicks: fields[19]! };
  } catch {
    return null;
  }
}

/** The X server's process: Xorg and Xvfb write their PID to /tmp/.X<N>-lock. Null for remote displays. */
export function xServerPid(display: string, tmpDir = '/tmp'): number | null {
  const m = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(display);
  if (!m) return null;
  try {
    const pid = Number(readFileSync(join(tmpDir, `.X${m[1]}-lock`), 'latin1').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export interface PausePolicy {
  /** Processes of the X clients on our display (from X-Resource). */
  xClientPids: readonly number[];
  /** The agent (never paused, nor its ancestors or children). */
  ownPid: number;
  /** The X server (never paused, nor its ancestors: display manager, xinit). */
  xServerPid: number | null;
}

/**
 * Which processes to pause: every process of the accounts running X clients on our display,
 * except root's and the protected ones (see the file comment). Pure, so it is unit-tested.
 */
export function programsToPause(processes: readonly ProcessEntry[], policy: PausePolicy): ProcessEntry[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const protectedPids = new Set<number>([0, 1]);
  const protectChain = (pid: number | null): void => {
    // Ancestors up to init; bounded by the table size against a corrupt (cyclic) table.
    for (let p = pid === null ? undefined : byPid.get(pid), n = 0; p && n <= processes.length; p = byPid.get(p.ppid), n++) protectedPids.add(p.pid);
  };
  protectChain(policy.ownPid);
  protectedPids.add(policy.ownPid);
  protectChain(policy.xServerPid);
  // Our own helpers (xkbcomp, loginctl…): children running as our account. A student's program
  // that happens to descend from us (a session helper started it) is still the student's.
  const ownUid = byPid.get(policy.ownPid)?.uid;
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const seen = new Set<number>([policy.ownPid]);
  const stack = [policy.ownPid];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (seen.has(child) || byPid.get(child)?.uid !== ownUid) continue;
      seen.add(child);
      protectedPids.add(child);
      stack.push(child);
    }
  }
  const students = new Set<number>();
  for (const pid of policy.xClientPids) {
    const p = byPid.get(pid);
    if (p && p.uid !== 0 && !protectedPids.has(pid)) students.add(p.uid);
  }
  return processes.filter((p) => students.has(p.uid) && p.uid !== 0 && !protectedPids.has(p.pid));
}

/** Where the recovery file lives by default: a directory only this account can write. */
export function defaultRecoveryFile(display: string): string {
  const name = `lock-${display.replace(/[^0-9A-Za-z.]/g, '_')}.json`;
  if (process.getuid?.() === 0) return join('/run/safelab', name);
  const runtime = process.env['XDG_RUNTIME_DIR'];
  if (runtime) return join(runtime, 'safelab', name);
  return join(tmpdir(), `safelab-${process.getuid?.() ?? 'user'}`, name);
}

interface RecoveryNote {
  display: string;
  paused: PausedProgram[];
}

export class PausedPrograms {
  private paused: PausedProgram[] = [];
  private refusedLogged = false;

  constructor(
    private readonly display: string,
    private readonly recoveryFile: string,
    private readonly log: (line: string) => void,
    private readonly procDir = '/proc',
  ) {}

  get count(): number {
    return this.paused.length;
  }

  /** PIDs paused now (tests and the log). */
  pids(): number[] {
    return this.paused.map((p) => p.pid);
  }

  /**
   * Pauses the student's programs (see programsToPause), in rounds until no new one appears.
   * Returns how many were paused by this call.
   */
  pause(xClientPids: readonly number[]): number {
    const before = this.paused.length;
    const known = new Set(this.paused.map((p) => p.pid));
    const xServer = xServerPid(this.display);
    for (let round = 0; round < maxPauseRounds; round++) {
      const targets = programsToPause(readProcesses(this.procDir), { xClientPids, ownPid: process.pid, xServerPid: xServer }).filter((p) => !known.has(p.pid));
      if (targets.length === 0) break;
      // Written before the first signal: a crash right after still leaves the list to resume.
      this.paused.push(...targets.map((p) => ({ pid: p.pid, startTicks: p.startTicks })));
      this.save();
      for (const p of targets) {
        known.add(p.pid);
        try {
          process.kill(p.pid, 'SIGSTOP');
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EPERM' && !this.refusedLogged) {
            this.refusedLogged = true;
            this.log(`lock.pause-refused pid=${p.pid} reason="the agent may not signal this account's programs (run it as root)"`);
          }
        }
      }
    }
    const added = this.paused.length - before;
    if (added > 0) this.log(`lock.programs-paused count=${added} total=${this.paused.length}`);
    return added;
  }

  /** Resumes every program we paused (unlock, close). */
  resumeAll(reason: string): void {
    if (this.paused.length === 0) return;
    const resumed = resume(this.paused, this.procDir);
    this.log(`lock.programs-resumed count=${resumed} reason=${reason}`);
    this.paused = [];
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

  private save(): void {
    const note: RecoveryNote = { display: this.display, paused: this.paused };
    try {
      mkdirSync(dirname(this.recoveryFile), { recursive: true, mode: 0o700 });
      const dir = statSync(dirname(this.recoveryFile));
      if (process.getuid && dir.uid !== process.getuid()) throw new Error(`${dirname(this.recoveryFile)} belongs to another account`);
      const temp = `${this.recoveryFile}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(note), { mode: 0o600 });
      renameSync(temp, this.recoveryFile);
    } catch (e) {
      this.log(`lock.recovery-file-failed path=${JSON.stringify(this.recoveryFile)} error=${JSON.stringify((e as Error).message)}`);
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
    const now = readProcess(p.pid, procDir);
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
