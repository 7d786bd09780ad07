// Which programs a contested lock pauses: on a process table and /proc files written for the test
// (tests/integration/linux pause real ones).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { programsToPause, readProcess, readProcesses, uidMinFrom, type PausePolicy, type ProcessEntry } from '../../../src/agent/platform/linux/paused-programs.js';

const student = 1001;
const otherStudent = 1002;

/** The policy of a Debian PC (UID_MIN 1000) where logind does not say whose session it is. */
function policy(overrides: Partial<PausePolicy>): PausePolicy {
  return { xClientPids: [], ownPid: 700, xServerPid: 410, keepRunningPids: [], uidMin: 1000, sessionUid: null, ...overrides };
}

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
    const paused = programsToPause(table, policy({ xClientPids: [520, 530, 532, 700, 410] }));
    expect(paused.map((p) => p.pid).sort((a, b) => a - b)).toEqual([510, 520, 530, 531, 532, 600]);
  });

  it("never pauses root's processes, other accounts, the agent, its ancestors or helpers, or the X server", () => {
    const paused = new Set(programsToPause(table, policy({ xClientPids: [520, 530, 532, 700, 410] })).map((p) => p.pid));
    for (const pid of [1, 400, 410, 500, 700, 710, 800]) expect(paused.has(pid)).toBe(false);
  });

  it('protects the agent and its ancestors when it runs as the student (a session helper)', () => {
    // The helper (900) was started by the student's session; a script of the same account fights the lock.
    const withHelper: ProcessEntry[] = [...table, { pid: 900, ppid: 510, uid: student, startTicks: '90' }, { pid: 901, ppid: 900, uid: student, startTicks: '91' }];
    const paused = new Set(programsToPause(withHelper, policy({ xClientPids: [532, 900], ownPid: 900 })).map((p) => p.pid));
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
    const paused = programsToPause(startx, policy({ xClientPids: [303], ownPid: 999, xServerPid: 301 }));
    expect(paused.map((p) => p.pid)).toEqual([302, 303]);
  });

  it('pauses nothing when every X client is root or the agent', () => {
    expect(programsToPause(table, policy({ xClientPids: [700, 410] }))).toEqual([]);
  });

  it('keeps what a rootless X server runs as the student (xkbcomp) running: pausing it would hang the server', () => {
    const startx: ProcessEntry[] = [
      { pid: 1, ppid: 0, uid: 0, startTicks: '1' },
      { pid: 300, ppid: 1, uid: student, startTicks: '30' }, // xinit
      { pid: 301, ppid: 300, uid: student, startTicks: '31' }, // Xorg, rootless
      { pid: 304, ppid: 301, uid: student, startTicks: '34' }, // xkbcomp, compiling a keymap for the server
      { pid: 302, ppid: 300, uid: student, startTicks: '32' }, // the session script
      { pid: 303, ppid: 302, uid: student, startTicks: '33' }, // an X client
    ];
    const paused = programsToPause(startx, policy({ xClientPids: [303], ownPid: 999, xServerPid: 301 })).map((p) => p.pid);
    expect(paused).toEqual([302, 303]);
  });

  it("never pauses system accounts (below UID_MIN) or nobody, even when they run X clients: the login screen's greeter", () => {
    const withGreeter: ProcessEntry[] = [
      ...table,
      { pid: 450, ppid: 400, uid: 115, startTicks: '45' }, // lightdm-gtk-greeter, as the lightdm account
      { pid: 460, ppid: 1, uid: 65_534, startTicks: '46' }, // a daemon running as nobody that opened the display
    ];
    const paused = programsToPause(withGreeter, policy({ xClientPids: [450, 460, 532] })).map((p) => p.pid);
    expect(paused).not.toContain(450);
    expect(paused).not.toContain(460);
    expect(paused).toContain(532);
    expect(programsToPause(withGreeter, policy({ xClientPids: [450, 460] }))).toEqual([]);
  });

  it("pauses only the session user's programs when logind says whose session it is", () => {
    // Someone else's client reached our display (a PID the X server reported, now another account's).
    const paused = programsToPause(table, policy({ xClientPids: [532, 800], sessionUid: student })).map((p) => p.pid);
    expect(paused).toContain(532);
    expect(paused).not.toContain(800);
    expect(programsToPause(table, policy({ xClientPids: [800], sessionUid: student }))).toEqual([]);
  });

  it('keeps the compositing manager running, but not the programs it started', () => {
    const withCompositor: ProcessEntry[] = [...table, { pid: 540, ppid: 520, uid: student, startTicks: '56' }]; // a terminal xfwm4 launched
    const paused = programsToPause(withCompositor, policy({ xClientPids: [520, 532], keepRunningPids: [520] })).map((p) => p.pid);
    expect(paused).not.toContain(520);
    expect(paused).toContain(540);
    expect(paused).toContain(532);
  });

  it('reads UID_MIN from /etc/login.defs, falling back to 1000', () => {
    expect(uidMinFrom('# comment\nUID_MIN\t\t\t 2000\nUID_MAX 60000\n')).toBe(2000);
    expect(uidMinFrom('#UID_MIN 5\n')).toBe(1000);
    expect(uidMinFrom('UID_MIN nonsense\n')).toBe(1000);
    expect(uidMinFrom('')).toBe(1000);
  });

  it('survives a process table with a parent loop', () => {
    const loop: ProcessEntry[] = [
      { pid: 10, ppid: 11, uid: student, startTicks: '1' },
      { pid: 11, ppid: 10, uid: student, startTicks: '2' },
    ];
    expect(programsToPause(loop, policy({ xClientPids: [10], ownPid: 10, xServerPid: null }))).toEqual([]);
  });
});

describe('reading /proc', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads pid, parent, real uid and start time, even with spaces and parentheses in the command name', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-proc-'));
    mkdirSync(join(dir, '4242'));
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
    writeFileSync(join(dir, '4242', 'stat'), '4242 (evil) name (x)) S 531 4242 531 34816 4242 4194304 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0');
    writeFileSync(join(dir, '4242', 'status'), 'Name:\tevil\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t531\nUid:\t1001\t1001\t1001\t1001\n');
    mkdirSync(join(dir, 'self'));
    mkdirSync(join(dir, '4243')); // gone before we read it
    expect(await readProcess(4242, dir)).toEqual({ pid: 4242, ppid: 531, uid: 1001, startTicks: '987654' });
    expect(await readProcesses(dir)).toEqual([{ pid: 4242, ppid: 531, uid: 1001, startTicks: '987654' }]);
  });
});
