// Lessons: a class in a lab, started and ended by a teacher; at most one running per lab.

import type { Database } from 'better-sqlite3';
import type { Lesson } from '../../shared/api/contract.js';
import { newId } from './ids.js';

interface LessonRow {
  id: string;
  lab_id: string;
  class_name: string;
  teacher: string;
  started_at: number;
  ended_at: number | null;
  language: 'vi' | 'en';
}

function toLesson(row: LessonRow): Lesson {
  return {
    id: row.id,
    labId: row.lab_id,
    className: row.class_name,
    teacher: row.teacher,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    language: row.language,
  };
}

export type Lessons = ReturnType<typeof createLessons>;

export function createLessons(db: Database) {
  const running = db.prepare<[], LessonRow>('SELECT * FROM lessons WHERE ended_at IS NULL ORDER BY started_at');
  const runningInLab = db.prepare<[string], LessonRow>('SELECT * FROM lessons WHERE lab_id = ? AND ended_at IS NULL');
  const insert = db.prepare(
    `INSERT INTO lessons (id, lab_id, class_name, teacher, started_at, language) VALUES (@id, @labId, @className, @teacher, @startedAt, @language)`,
  );
  const end = db.prepare<[number, string]>('UPDATE lessons SET ended_at = ? WHERE id = ? AND ended_at IS NULL');
  const history = db.prepare<[string, number], LessonRow>(
    'SELECT * FROM lessons WHERE lab_id = ? ORDER BY started_at DESC LIMIT ?',
  );

  function runningLesson(labId: string): Lesson | null {
    const row = runningInLab.get(labId);
    return row ? toLesson(row) : null;
  }

  return {
    runningLessons(): Lesson[] {
      return running.all().map(toLesson);
    },
    runningLesson,
    /** Starts a lesson; the unique index refuses a second running lesson in the same lab. */
    startLesson(input: { labId: string; className: string; teacher: string; language?: 'vi' | 'en' }, now = Date.now()): Lesson {
      const language = input.language ?? 'vi';
      const lesson: Lesson = { id: newId('lesson'), labId: input.labId, className: input.className, teacher: input.teacher, startedAt: now, endedAt: null, language };
      insert.run({ id: lesson.id, labId: lesson.labId, className: lesson.className, teacher: lesson.teacher, startedAt: now, language });
      return lesson;
    },
    /** Ends the lab's running lesson; null when none was running. */
    endLesson(labId: string, now = Date.now()): Lesson | null {
      const lesson = runningLesson(labId);
      if (!lesson) return null;
      end.run(now, lesson.id);
      return { ...lesson, endedAt: now };
    },
    recentLessons(labId: string, limit = 50): Lesson[] {
      return history.all(labId, limit).map(toLesson);
    },
  };
}
