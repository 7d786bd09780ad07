// Blocked attempts are filed under the lesson that was running in the PC's lab when each attempt
// happened — not when the report arrived — on a real SQLite file with real lessons: attempts from a
// lesson's last second, from before a lesson, queued while the console was away, from a PC whose
// clock is wrong, and one report spanning two lessons.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src/shared/api/contract.js';
import type { AgentMessage } from '../../../src/shared/protocol/messages.js';
import type { AgentConnection } from '../../../src/main/agent-hub/connection.js';
import { EventBus } from '../../../src/main/api/events.js';
import { openStoreFile, type Store } from '../../../src/main/store/index.js';
import { agentClockToleranceMs, BlockedIntake, consoleTimes, maxAgentClockSkewMs } from '../../../src/main/web-filtering/blocked.js';

const minute = 60_000;
let dir: string;
let store: Store;
let events: ApiEvent[];
let intake: BlockedIntake;
let labId: string;
let pc: AgentConnection;
/** Lesson 7A ran [start7A, end7A); lesson 8B runs since start8B. */
let start7A: number;
let end7A: number;
let start8B: number;
let lesson7A: string;
let lesson8B: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-blocked-intake-'));
  store = openStoreFile(path.join(dir, 'safelab.sqlite'));
  const bus = new EventBus(() => undefined);
  events = [];
  bus.on((event) => events.push(event));
  intake = new BlockedIntake({ store, events: bus, log: () => undefined });
  labId = store.labs.createLab('Phòng máy 1').id;
  const now = Date.now();
  start7A = now - 60 * minute;
  end7A = now - 15 * minute;
  start8B = now - 10 * minute;
  lesson7A = store.lessons.startLesson({ labId, className: '7A', teacher: 'Cô Lan' }, start7A).id;
  store.lessons.endLesson(labId, end7A);
  lesson8B = store.lessons.startLesson({ labId, className: '8B', teacher: 'Thầy Nam' }, start8B).id;
  pc = { machineId: 'machine-pc07', labId } as AgentConnection;
});

afterEach(() => {
  intake.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function report(attempts: { time: number; name: string }[], sentAt?: number): Extract<AgentMessage, { type: 'blocked' }> {
  return { type: 'blocked', attempts: attempts.map((a) => ({ ...a, category: 'gambling' })), ...(sentAt !== undefined ? { sentAt } : {}) };
}

function filed(): Record<string, string | null> {
  const { attempts } = store.blockedAttempts.query({ machineId: pc.machineId, limit: 100 });
  return Object.fromEntries(attempts.map((a) => [a.name, a.lessonId]));
}

describe('filing blocked attempts by when they happened', () => {
  it('files each attempt under the lesson running at its time, even when the report arrives during the next lesson', () => {
    const now = Date.now();
    intake.onReport(
      pc,
      report(
        [
          { time: start7A - 5 * minute, name: 'before.test' },
          { time: start7A + 1, name: 'first-moment.test' },
          { time: end7A - 1000, name: 'last-second.test' },
          { time: end7A, name: 'at-the-end.test' },
          { time: end7A + 2 * minute, name: 'between.test' },
          { time: start8B + minute, name: 'now.test' },
        ],
        now,
      ),
    );
    expect(filed()).toEqual({
      'before.test': null,
      'first-moment.test': lesson7A,
      'last-second.test': lesson7A,
      'at-the-end.test': null,
      'between.test': null,
      'now.test': lesson8B,
    });
    // The live view gets one event per lesson the report touches, each with only its attempts.
    const live = events.filter((e): e is Extract<ApiEvent, { type: 'filter.blocked' }> => e.type === 'filter.blocked');
    expect(live.map((e) => [e.lessonId, e.attempts.map((a) => a.name)])).toEqual([
      [null, ['before.test', 'at-the-end.test', 'between.test']],
      [lesson7A, ['first-moment.test', 'last-second.test']],
      [lesson8B, ['now.test']],
    ]);
    expect(store.blockedAttempts.query({ lessonId: lesson7A, limit: 10 }).total).toBe(2);
  });

  it('corrects a PC clock that is off by the difference at sending, and leaves a right one alone', () => {
    const now = Date.now();
    // The PC's clock runs 30 minutes late (flat CMOS battery): its "last second of 7A" reads 30 min earlier.
    const late = 30 * minute;
    intake.onReport(pc, report([{ time: end7A - 1000 - late, name: 'late-clock.test' }], now - late));
    // A right clock with a little network delay is not shifted: the attempt stays inside 7A.
    intake.onReport(pc, report([{ time: end7A - 200, name: 'right-clock.test' }], now - (agentClockToleranceMs - 500)));
    expect(filed()).toEqual({ 'late-clock.test': lesson7A, 'right-clock.test': lesson7A });
    const times = store.blockedAttempts.query({ machineId: pc.machineId, limit: 10 }).attempts.map((a) => a.at);
    expect(Math.abs(times.find((t) => t < end7A - 500)! - (end7A - 1000))).toBeLessThan(100);
    expect(times).toContain(end7A - 200);
  });

  it('never files an attempt in the future, and keeps old reports without a sending time within a day', () => {
    const now = Date.now();
    expect(consoleTimes(report([{ time: now + 10 * minute, name: 'a.test' }], now), now)).toEqual([now]);
    expect(consoleTimes(report([{ time: now - 2 * maxAgentClockSkewMs, name: 'b.test' }]), now)).toEqual([now]);
    expect(consoleTimes(report([{ time: now - minute, name: 'c.test' }]), now)).toEqual([now - minute]);
    // With a sending time, a day-old attempt kept across a weekend restart keeps its time.
    expect(consoleTimes(report([{ time: now - 2 * maxAgentClockSkewMs, name: 'd.test' }], now), now)).toEqual([now - 2 * maxAgentClockSkewMs]);
  });

  it('files nothing under a lesson for a PC in no lab', () => {
    intake.onReport({ machineId: 'machine-loose', labId: null } as AgentConnection, report([{ time: start8B + minute, name: 'loose.test' }], Date.now()));
    expect(store.blockedAttempts.query({ machineId: 'machine-loose', limit: 10 }).attempts.map((a) => a.lessonId)).toEqual([null]);
  });
});
