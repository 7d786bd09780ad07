// Blocked web attempts of each running lesson, live: the console's record when the lesson is
// (re)loaded, plus every filter.blocked event since. Names and categories only, never page content.
import { create } from 'zustand';
import type { ApiOutput, Lesson } from '../../shared/api/contract.js';

/** Latest attempts kept per lesson for the panel (the counts cover every attempt). */
export const maxRecentBlocked = 100;

export interface RecentBlocked {
  /** Local, for React lists only. */
  seq: number;
  at: number;
  machineId: string;
  name: string;
  category: string;
}

export interface LessonBlocked {
  lessonId: string;
  labId: string;
  /** False until the console's record arrived (counts so far are from events only). */
  loaded: boolean;
  total: number;
  byMachine: Record<string, number>;
  /** Newest first, at most maxRecentBlocked. */
  recent: RecentBlocked[];
  /** Attempts that arrived as events while the record was being fetched. */
  sinceFetch: Omit<RecentBlocked, 'seq'>[] | null;
}

export type BlockedRecord = ApiOutput<'filtering.blocked'>;
type Attempt = Omit<RecentBlocked, 'seq'>;

let seq = 0;

function attemptKey(a: Attempt): string {
  return `${a.machineId}\u0000${a.at}\u0000${a.name}\u0000${a.category}`;
}

function withAttempts(record: LessonBlocked, attempts: Attempt[]): LessonBlocked {
  if (attempts.length === 0) return record;
  const byMachine = { ...record.byMachine };
  for (const a of attempts) byMachine[a.machineId] = (byMachine[a.machineId] ?? 0) + 1;
  const fresh = attempts.map((a) => ({ ...a, seq: ++seq }));
  // Batches from different PCs interleave: keep the list in time order, newest first.
  const recent = [...fresh, ...record.recent].sort((x, y) => y.at - x.at || y.seq - x.seq).slice(0, maxRecentBlocked);
  return { ...record, total: record.total + attempts.length, byMachine, recent };
}

/**
 * The console's record with the events that arrived while it was fetched laid on top. An event
 * the record already holds is not counted twice (matched by PC, time, name and category, as a
 * multiset: a browser asks for A and AAAA of the same name at the same moment).
 */
export function mergeRecord(record: BlockedRecord, lessonId: string, labId: string, sinceFetch: Attempt[]): LessonBlocked {
  const held = new Map<string, number>();
  const recent: RecentBlocked[] = record.attempts.slice(0, maxRecentBlocked).map((a) => ({ seq: ++seq, at: a.at, machineId: a.machineId, name: a.name, category: a.category }));
  for (const a of recent) held.set(attemptKey(a), (held.get(attemptKey(a)) ?? 0) + 1);
  const byMachine: Record<string, number> = {};
  for (const m of record.byMachine) byMachine[m.machineId] = m.count;
  const base: LessonBlocked = { lessonId, labId, loaded: true, total: record.total, byMachine, recent, sinceFetch: null };
  const missing = sinceFetch.filter((a) => {
    const key = attemptKey(a);
    const count = held.get(key) ?? 0;
    if (count > 0) {
      held.set(key, count - 1);
      return false;
    }
    return true;
  });
  return withAttempts(base, missing);
}

interface BlockedState {
  byLesson: Record<string, LessonBlocked>;
  /** A lesson is running: make room for its attempts (`fresh`: it just started, nothing to fetch). */
  begin(lesson: Lesson, fresh: boolean): void;
  /** The record is about to be fetched: collect events meanwhile. */
  fetching(lessonId: string): void;
  loaded(lesson: Lesson, record: BlockedRecord): void;
  /** filter.blocked event. */
  add(lessonId: string, labId: string | null, machineId: string, attempts: { time: number; name: string; category: string }[]): void;
  /** Forgets every lesson not in `lessonIds` (ended ones). */
  retain(lessonIds: Iterable<string>): void;
}

export const useBlocked = create<BlockedState>((set, get) => ({
  byLesson: {},
  begin(lesson, fresh) {
    if (get().byLesson[lesson.id]) return;
    const record: LessonBlocked = { lessonId: lesson.id, labId: lesson.labId, loaded: fresh, total: 0, byMachine: {}, recent: [], sinceFetch: null };
    set((s) => ({ byLesson: { ...s.byLesson, [lesson.id]: record } }));
  },
  fetching(lessonId) {
    set((s) => {
      const record = s.byLesson[lessonId];
      if (!record) return s;
      return { byLesson: { ...s.byLesson, [lessonId]: { ...record, sinceFetch: [] } } };
    });
  },
  loaded(lesson, result) {
    set((s) => {
      const current = s.byLesson[lesson.id];
      if (!current) return s; // ended meanwhile
      const merged = mergeRecord(result, lesson.id, lesson.labId, current.sinceFetch ?? []);
      return { byLesson: { ...s.byLesson, [lesson.id]: merged } };
    });
  },
  add(lessonId, labId, machineId, attempts) {
    set((s) => {
      const current = s.byLesson[lessonId];
      if (!current && labId === null) return s;
      const record: LessonBlocked = current ?? { lessonId, labId: labId!, loaded: false, total: 0, byMachine: {}, recent: [], sinceFetch: null };
      const list: Attempt[] = attempts.map((a) => ({ at: a.time, machineId, name: a.name, category: a.category }));
      const next = withAttempts(record, list);
      if (record.sinceFetch) next.sinceFetch = [...record.sinceFetch, ...list];
      return { byLesson: { ...s.byLesson, [lessonId]: next } };
    });
  },
  retain(lessonIds) {
    set((s) => {
      const keep = new Set(lessonIds);
      const ids = Object.keys(s.byLesson);
      if (ids.every((id) => keep.has(id))) return s;
      const byLesson: Record<string, LessonBlocked> = {};
      for (const id of ids) if (keep.has(id)) byLesson[id] = s.byLesson[id]!;
      return { byLesson };
    });
  },
}));
