// What pausing a student's programs must never do, on real processes: signal a program that is
// not the one the scan saw (its PID given to another program meanwhile), or signal anything when
// the note that lets a restarted agent resume them could not be saved. The "student" runs as a
// user id no other process has (x-session.ts); a root process stands for what must stay untouched.

import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PausedPrograms, readProcess, readProcesses, type ProcessEntry } from '../../../src/agent/platform/linux/paused-programs.js';
import { processState, stopProcess, studentUid, waitFor } from './x-session.js';

const student = { uid: studentUid, gid: studentUid };

describe('pausing programs safely', () => {
  let dir: string;
  const started: ChildProcess[] = [];
  const log: string[] = [];

  /** A sleeping process, as the student unless `asRoot`. */
  async function sleeper(asRoot = false): Promise<ProcessEntry> {
    const proc = spawn('sleep', ['60'], { stdio: 'ignore', ...(asRoot ? {} : student) });
    started.push(proc);
    return waitFor('the process to show in /proc', () => readProcess(proc.pid!), 2_000, 10);
  }

  const request = (pids: number[]) => ({ xClientPids: pids, xServerPid: null, keepRunningPids: [], sessionUid: null });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-pause-'));
  });

  afterEach(async () => {
    log.length = 0;
    for (const p of started.splice(0)) {
      if (p.pid && processState(p.pid) === 'T') process.kill(p.pid, 'SIGCONT');
      await stopProcess(p);
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pauses the student’s programs only after a synced note names each by PID and start time, and resumes them', async () => {
    const program = await sleeper();
    const note = join(dir, 'ok', 'paused.json');
    // The real /proc, narrowed to this test's program: other test files' student processes run in parallel.
    const paused = new PausedPrograms(':9', note, (l) => log.push(l), '/proc', { scan: async () => (await readProcesses()).filter((p) => p.pid === program.pid) });
    expect(await paused.pause(request([program.pid]))).toBe(1);
    expect(processState(program.pid)).toBe('T');
    expect(JSON.parse(readFileSync(note, 'utf8')).paused).toContainEqual({ pid: program.pid, startTicks: program.startTicks });
    paused.resumeAll('unlocked');
    await waitFor('the program to run again', () => processState(program.pid) !== 'T', 2_000, 10);
    expect(existsSync(note)).toBe(false);
  });

  it('sends no signal at all when the note cannot be saved', async () => {
    const program = await sleeper();
    // The note's folder belongs to the student: writing root's note there would be unsafe, so it is refused.
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, studentUid, studentUid);
    const paused = new PausedPrograms(':9', join(theirs, 'paused.json'), (l) => log.push(l), '/proc', { scan: async () => (await readProcesses()).filter((p) => p.pid === program.pid) });
    expect(await paused.pause(request([program.pid]))).toBe(0);
    expect(paused.count).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(processState(program.pid)).not.toBe('T');
    expect(log.find((l) => l.startsWith('lock.pause-not-saved'))).toMatch(/belongs to another account/);
  });

  it('does not stop a program whose PID now belongs to another process than the one the scan saw', async () => {
    const rootProgram = await sleeper(true);
    const studentProgram = await sleeper();
    // The scan saw the student's programs under these PIDs; since then each PID went to another
    // process (another start time; for the first, root's): a fork loop makes this happen.
    const stale: ProcessEntry[] = [
      { ...rootProgram, uid: studentUid, startTicks: String(Number(rootProgram.startTicks) - 7) },
      { ...studentProgram, startTicks: String(Number(studentProgram.startTicks) - 7) },
    ];
    const paused = new PausedPrograms(':9', join(dir, 'stale', 'paused.json'), (l) => log.push(l), '/proc', { scan: async () => stale });
    expect(await paused.pause(request(stale.map((p) => p.pid)))).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(processState(rootProgram.pid)).not.toBe('T');
    expect(processState(studentProgram.pid)).not.toBe('T');
    expect(paused.pids()).toEqual([]);
  });
});
