// Blocked attempts of a running lesson: the console's record and the live events add up without
// counting an attempt twice, and nothing of a lesson stays once it ended.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src/shared/api/contract.js';
import { maxRecentBlocked, mergeRecord, useBlocked, type BlockedRecord } from '../../../src/renderer/state/blocked.js';
import { applyEvent } from '../../../src/renderer/state/events.js';
import { useLessons } from '../../../src/renderer/state/lessons.js';
import { lesson } from './fixtures.js';

const les = lesson('les1', 'lab1');

function blockedEvent(machineId: string, attempts: [time: number, name: string, category?: string][], lessonId: string | null = 'les1'): ApiEvent {
  return { type: 'filter.blocked', machineId, labId: 'lab1', lessonId, attempts: attempts.map(([time, name, category]) => ({ time, name, category: category ?? 'allowlist-only' })) };
}

function record(attempts: [at: number, machineId: string, name: string][], total = attempts.length): BlockedRecord {
  const byMachine = new Map<string, number>();
  for (const [, m] of attempts) byMachine.set(m, (byMachine.get(m) ?? 0) + 1);
  return {
    total,
    attempts: attempts.map(([at, machineId, name], i) => ({ id: i + 1, at, machineId, labId: 'lab1', lessonId: 'les1', name, category: 'games' })).sort((a, b) => b.at - a.at),
    byMachine: [...byMachine].map(([machineId, count]) => ({ machineId, count })),
    byCategory: [{ category: 'games', count: total }],
  };
}

const state = () => useBlocked.getState().byLesson['les1'];

beforeEach(() => {
  useBlocked.setState({ byLesson: {} });
  useLessons.setState({ activeByLab: {} });
});

describe('blocked attempts of a lesson', () => {
  it('counts live attempts per PC and keeps the newest first', () => {
    applyEvent({ type: 'lesson.updated', lesson: les });
    expect(state()).toMatchObject({ loaded: true, total: 0 });
    applyEvent(blockedEvent('a', [[10, 'one.example'], [30, 'three.example']]));
    applyEvent(blockedEvent('b', [[20, 'two.example']]));
    expect(state()?.total).toBe(3);
    expect(state()?.byMachine).toEqual({ a: 2, b: 1 });
    expect(state()?.recent.map((r) => r.name)).toEqual(['three.example', 'two.example', 'one.example']);
  });

  it('ignores attempts outside a lesson', () => {
    applyEvent(blockedEvent('a', [[10, 'one.example']], null));
    expect(useBlocked.getState().byLesson).toEqual({});
  });

  it('adds the attempts that arrived during the fetch to the record, without counting twice what it holds', () => {
    useLessons.getState().setActive([les]);
    useBlocked.getState().begin(les, false);
    useBlocked.getState().fetching('les1');
    // Arrived while the request was on its way: the first was stored before the query ran, the
    // second after; A and AAAA of the same name at the same moment are two attempts.
    applyEvent(blockedEvent('a', [[50, 'held.example', 'games']]));
    applyEvent(blockedEvent('a', [[60, 'late.example', 'games'], [60, 'late.example', 'games']]));
    useBlocked.getState().loaded(les, record([[5, 'a', 'old.example'], [50, 'a', 'held.example'], [60, 'a', 'late.example']], 40));
    expect(state()?.loaded).toBe(true);
    expect(state()?.total).toBe(41);
    expect(state()?.recent.map((r) => r.name)).toEqual(['late.example', 'late.example', 'held.example', 'old.example']);
  });

  it('keeps at most the latest attempts while counting all of them', () => {
    const many = Array.from({ length: maxRecentBlocked + 20 }, (_, i) => [i, `site${i}.example`] as [number, string]);
    applyEvent({ type: 'lesson.updated', lesson: les });
    applyEvent(blockedEvent('a', many));
    expect(state()?.total).toBe(maxRecentBlocked + 20);
    expect(state()?.recent).toHaveLength(maxRecentBlocked);
    expect(state()?.recent[0]?.name).toBe(`site${maxRecentBlocked + 19}.example`);
  });

  it('leaves out a late batch for a lesson that has ended: it is in the lesson record, not in the live panel', () => {
    applyEvent({ type: 'lesson.updated', lesson: les });
    applyEvent(blockedEvent('a', [[10, 'one.example']]));
    applyEvent({ type: 'lesson.updated', lesson: { ...les, endedAt: 99 } });
    // PC a reports an attempt of the lesson's last second after the lesson ended.
    applyEvent(blockedEvent('a', [[98, 'late.example']]));
    expect(useBlocked.getState().byLesson).toEqual({});
    // The next lesson of the lab starts clean; a late batch of the old one does not count in it.
    const next = lesson('les2', 'lab1');
    applyEvent({ type: 'lesson.updated', lesson: next });
    applyEvent(blockedEvent('a', [[99, 'later.example']]));
    applyEvent(blockedEvent('b', [[120, 'now.example']], 'les2'));
    expect(Object.keys(useBlocked.getState().byLesson)).toEqual(['les2']);
    expect(useBlocked.getState().byLesson['les2']).toMatchObject({ total: 1, byMachine: { b: 1 } });
  });

  it('leaves out a batch for a lesson this window does not know: it comes with the lesson’s record', () => {
    applyEvent(blockedEvent('a', [[10, 'one.example']], 'les-unknown'));
    expect(useBlocked.getState().byLesson).toEqual({});
  });

  it('files a batch under the running lesson’s own lab', () => {
    applyEvent({ type: 'lesson.updated', lesson: les });
    // The PC was moved to another lab meanwhile; its attempt still belongs to the lesson it happened in.
    applyEvent({ type: 'filter.blocked', machineId: 'a', labId: 'lab2', lessonId: 'les1', attempts: [{ time: 10, name: 'one.example', category: 'games' }] });
    expect(state()).toMatchObject({ labId: 'lab1', total: 1 });
  });

  it('forgets the lesson when it ends', () => {
    applyEvent({ type: 'lesson.updated', lesson: les });
    applyEvent(blockedEvent('a', [[10, 'one.example']]));
    applyEvent({ type: 'lesson.updated', lesson: { ...les, endedAt: 99 } });
    expect(useBlocked.getState().byLesson).toEqual({});
  });

  it('merges a record with an empty event list into exactly the record', () => {
    const merged = mergeRecord(record([[1, 'a', 'x.example'], [2, 'b', 'y.example']], 7), 'les1', 'lab1', []);
    expect(merged.total).toBe(7);
    expect(merged.byMachine).toEqual({ a: 1, b: 1 });
    expect(merged.recent.map((r) => r.name)).toEqual(['y.example', 'x.example']);
  });
});
