// Which programs a contested lock pauses, and that a crashed agent's pauses are undone: on a
// process table and /proc files written for the test (the integration tests pause real ones).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { programsToPause, readProcess, readProcesses, xServerPid, type ProcessEntry } from '../../../src/agent/platform/linux/paused-programs.js';

const student = 1001;
const otherStudent = 1002;

/** A school PC: init, the display manager and Xorg (root), the student's session, and the agent (root). */
const table: ProcessEntry[] = [
  { pid: 1, ppid: 0, uid: 0, startTicks: '1' },
  { pid: 400, ppid: 1, uid: 0, startTicks: '40' }, // lightdm
  { pid: 410, ppid: 400, uid: 0, startTicks: '41' }, // Xorg
  { pid: 500, ppid: 400, uid: 0, startTicks: '50' }, // session worker
  { pid: 510, ppid: 500, uid: student, startTicks: '51' }, // xfce4-session
  { pid: 520, ppid: 510, uid: student, startTicks: '52' }, // xfwm4 (X client)
  { pid: 530, ppid: 510, uid: student, startTicks: '53' }, // xfce4-terminal (X client)
  { pid: 531, ppid: 530, uid: student, startTicks: '54' }, // bash
  { pid: 532, ppid: 531, uid: student, startTicks: '55' }, // a script killing the lock in a loop (X client)
  { pid: 600, ppid: 1, uid: student, startTicks: '60' }, // systemd --user (not an X client)
  { pid: 700, ppid: 1, uid: 0, startTicks: '70' }, // safelab agent
  { pid: 710, ppid: 700, uid: 0, startTicks: '71' }, // its xkbcomp
  { pid: 800, ppid: 1, uid: otherStudent, startTicks: '80' }, // someone logged in over ssh, no X client
];

describe('programs a contested lock pauses', () => {
  it("pauses every program of the account that runs X clients, whether or not each is an X client", () => {
    const paused = programsToPause(table, { xClientPids: [520, 530, 532, 700, 410], ownPid: 700, xServerPid: 410 });
    expect(paused.map((p) => p.pid).sort((a, b) => a - b)).toEqual([510, 520, 530, 531, 532, 600]);
  });

  it("never pauses root's processes, other accounts, the agent, its ancestors or helpers, or the X server", () => {
    const paused = new Set(programsToPause(table, { xClientPids: [520, 530, 532, 700, 410], ownPid: 700, xServerPid: 410 }).map((p) => p.pid));
    for (const pid of [1, 400, 410, 500, 700, 710, 800]) expect(paused.has(pid)).toBe(false);
  });

  it('protects the agent and its ancestors when it runs as the student (a session helper)', () => {
    // The helper (900) was started by the student's session; a script of the same account fights the lock.
    const withHelper: ProcessEntry[] = [...table, { pid: 900, ppid: 510, uid: student, startTicks: '90' }, { pid: 901, ppid: 900, uid: student, startTicks: '91' }];
    const paused = new Set(programsToPause(withHelper, { xClientPids: [532, 900], ownPid: 900, xServerPid: 410 }).map((p) => p.pid));
    // Its ancestors (the session) and its own helper stay; the script and the rest of the account do not.
    for (const pid of [1, 400, 500, 510, 900, 901]) expect(paused.has(pid)).toBe(false);
    for (const pid of [520, 530, 531, 532, 600]) expect(paused.has(pid)).toBe(true);
  });

  it('keeps a rootless X server and its ancestors running (startx as the student)', () => {
    const startx: ProcessEntry[] = [
      { pid: 1, ppid: 0, uid: 0, startTicks: '1' },
      { pid: 300, ppid: 1, uid: student, startTicks: '30' }, // xinit
      { pid: 301, ppid: 300, uid: student, startTicks: '31' }, // Xorg, rootless
      { pid: 302, ppid: 300, uid: student, startTicks: '32' }, // the session script
      { pid: 303, ppid: 302, uid: student, startTicks: '33' }, // an X client
    ];
    const paused = programsToPause(startx, { xClientPids: [303], ownPid: 999, xServerPid: 301 });
    expect(paused.map((p) => p.pid)).toEqual([302, 303]);
  });

  it('pauses nothing when every X client is root or the agent', () => {
    expect(programsToPause(table, { xClientPids: [700, 410], ownPid: 700, xServerPid: 410 })).toEqual([]);
  });

  it('survives a process table with a parent loop', () => {
    const loop: ProcessEntry[] = [
      { pid: 10, ppid: 11, uid: student, startTicks: '1' },
      { pid: 11, ppid: 10, uid: student, startTicks: '2' },
    ];
    expect(programsToPause(loop, { xClientPids: [10], ownPid: 10, xServerPid: null })).toEqual([]);
  });
});

describe('reading /proc and the X lock file', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads pid, parent, real uid and start time, even with spaces and parentheses in the command name', () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-proc-'));
    mkdirSync(join(dir, '4242'));
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
    writeFileSync(join(dir, '4242', 'stat'), '4242 (evil) name (x)) S 531 4242 531 34816 4242 4194304 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0');
    writeFileSync(join(dir, '4242', 'status'), 'Name:\tevil\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t531\nUid:\t1001\t1001\t1001\t1001\n');
    mkdirSync(join(dir, 'self'));
    mkdirSync(join(dir, '4243')); // gone before we read it
    expect(readProcess(4242, dir)).toEqual({ pid: 4242, ppid: 531, uid: 1001, startTicks: '987654' });
    expect(readProcesses(dir)).toEqual([{ pid: 4242, ppid: 531, uid: 1001, startTicks: '987654' }]);
  });

  it("finds the X server's pid in /tmp/.X<N>-lock, for local displays only", () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-xlock-'));
    writeFileSync(join(dir, '.X7-lock'), '      1234\n');
    expect(xServerPid(':7', dir)).toBe(1234);
    expect(xServerPid(':7.0', dir)).toBe(1234);
    expect(xServerPid('unix:7', dir)).toBe(1234);
    expect(xServerPid(':8', dir)).toBeNull();
    expect(xServerPid('10.0.0.5:7', dir)).toBeNull();
  });
});
