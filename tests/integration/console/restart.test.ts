// The console process dies mid-lesson (SIGKILL: no cleanup) and starts again on the same data
// folder and port: agents reconnect on their own, the lock they hold is still on, the lesson is
// still running, thumbnails resume, and the store (audit chain included) is intact.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConsoleFile } from '../../../src/main/console-file.js';
import { openStore } from '../../../src/main/store/index.js';
import { EventRecorder, machineOnline, machineReady } from '../helpers/console-api.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { assertBuilt } from '../helpers/paths.js';
import { stopAllChildren } from '../helpers/processes.js';
import { enrolAgent, runAgent } from '../helpers/real-agent.js';

let dataDir: string;
let agentPort: number;
let console_: ConsoleProcess;
const recorders: EventRecorder[] = [];
const ids: string[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDataDir('restart');
  agentPort = await freePort();
});

afterAll(async () => {
  for (const r of recorders) r.close();
  await stopAllChildren();
  removeDir(dataDir);
});

async function eventsOf(console: ConsoleProcess): Promise<EventRecorder> {
  const recorder = await EventRecorder.overHttp(console.file.apiUrl, console.file.token);
  recorders.push(recorder);
  return recorder;
}

describe('console restart mid-lesson', { timeout: 60_000 }, () => {
  it('runs a lesson with two locked PCs before the crash', async () => {
    console_ = await startConsoleProcess({ dataDir, agentPort, thumbnailIntervalMs: 300 });
    const events = await eventsOf(console_);
    const { api } = console_;
    const lab = (await api.call('labs.list', {}))[0]!;
    const enrolment = await api.call('enrolment.create', { labId: lab.id });
    for (const name of ['PC-01', 'PC-02']) {
      const agentDir = path.join(dataDir, 'agents', name);
      const result = await enrolAgent({ dataDir: agentDir, hostname: name, consoleUrl: console_.agentUrl, code: enrolment.code });
      expect(result.exitCode, result.output).toBe(0);
      ids.push((JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId);
      runAgent({ dataDir: agentDir, hostname: name });
    }
    for (const id of ids) await events.waitFor(machineReady(id), 20_000, `${id} ready`, 0);
    await api.call('lessons.start', { labId: lab.id, className: '8C' });
    const locked = await api.call('commands.run', { machineIds: ids, command: { name: 'lock', message: 'Giờ kiểm tra' } });
    expect(locked.results.map((r) => r.status)).toEqual(['done', 'done']);
    for (const id of ids) await events.waitFor((e) => e.type === 'thumbnail' && e.machineId === id, 5000, `a thumbnail from ${id}`, 0);
  });

  it('comes back after SIGKILL with the lesson running, the PCs locked and thumbnails flowing', async () => {
    expect(await console_.kill()).toBe('SIGKILL');
    // The crashed console could not remove console.json; the new one must not be fooled by it.
    expect(readConsoleFile(dataDir)?.pid).toBe(console_.child.pid);

    console_ = await startConsoleProcess({ dataDir, agentPort, thumbnailIntervalMs: 300 });
    const events = await eventsOf(console_);
    const { api } = console_;
    // Agents reconnect by themselves (backoff capped well within this bound).
    for (const id of ids) await events.waitFor(machineOnline(id), 30_000, `${id} back online`, 0);

    const [lesson] = await api.call('lessons.active', {});
    expect(lesson).toMatchObject({ className: '8C', endedAt: null });
    for (const id of ids) await events.waitFor((e) => e.type === 'thumbnail' && e.machineId === id, 10_000, `thumbnails from ${id} again`, 0);
    const machines = await api.call('machines.list', {});
    for (const id of ids) {
      expect(machines.find((m) => m.id === id)?.state).toMatchObject({ locked: true, lockMessage: 'Giờ kiểm tra', lessonActive: true });
    }
  });

  it('stops cleanly, removes console.json, and leaves an intact store with an unbroken audit chain', async () => {
    const lab = (await console_.api.call('labs.list', {}))[0]!;
    await console_.api.call('lessons.end', { labId: lab.id });
    expect(await console_.stop()).toBe(0);
    expect(readConsoleFile(dataDir)).toBeNull();
    expect(console_.log.has(/console: stopped/)).toBe(true);

    const store = openStore(dataDir);
    try {
      expect(store.audit.verifyAuditChain()).toMatchObject({ ok: true });
      const actions = store.audit.recentAudit(100).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['machine.enrolled', 'lesson.started', 'commands.lock', 'lesson.ended']));
      expect(store.machines.listMachines().map((m) => m.hostname).sort()).toEqual(['PC-01', 'PC-02']);
      expect(store.lessons.runningLessons()).toEqual([]);
    } finally {
      store.close();
    }
  });
});
