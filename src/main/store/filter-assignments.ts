// Which profile a lab runs on (its baseline) and which stricter profile a lesson switched to.

import type { Database } from 'better-sqlite3';

export interface Assignment {
  profileId: string | null;
  updatedAt: number;
  updatedBy: string;
}

interface AssignmentRow {
  profile_id: string | null;
  updated_at: number;
  updated_by: string;
}

const toAssignment = (row: AssignmentRow): Assignment => ({ profileId: row.profile_id, updatedAt: row.updated_at, updatedBy: row.updated_by });

export type FilterAssignments = ReturnType<typeof createFilterAssignments>;

export function createFilterAssignments(db: Database) {
  const baseline = db.prepare<[string], AssignmentRow>(
    'SELECT baseline_profile_id AS profile_id, updated_at, updated_by FROM lab_filtering WHERE lab_id = ?',
  );
  const setBaseline = db.prepare(
    `INSERT INTO lab_filtering (lab_id, baseline_profile_id, updated_at, updated_by) VALUES (@labId, @profileId, @now, @actor)
     ON CONFLICT (lab_id) DO UPDATE SET baseline_profile_id = excluded.baseline_profile_id,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  const labsOnBaseline = db.prepare<[string], { lab_id: string }>('SELECT lab_id FROM lab_filtering WHERE baseline_profile_id = ?');
  const lesson = db.prepare<[string], AssignmentRow>('SELECT profile_id, updated_at, updated_by FROM lesson_filtering WHERE lesson_id = ?');
  const setLesson = db.prepare(
    `INSERT INTO lesson_filtering (lesson_id, profile_id, updated_at, updated_by) VALUES (@lessonId, @profileId, @now, @actor)
     ON CONFLICT (lesson_id) DO UPDATE SET profile_id = excluded.profile_id,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  const runningLessonsOn = db.prepare<[string], { lesson_id: string }>(
    `SELECT f.lesson_id FROM lesson_filtering f JOIN lessons l ON l.id = f.lesson_id
     WHERE f.profile_id = ? AND l.ended_at IS NULL`,
  );
  // Ended lessons keep their profile id for the record; a removed profile must not break that.
  const forgetInEndedLessons = db.prepare<[string]>(
    `UPDATE lesson_filtering SET profile_id = NULL
     WHERE profile_id = ? AND lesson_id IN (SELECT id FROM lessons WHERE ended_at IS NOT NULL)`,
  );

  return {
    /** The lab's chosen baseline, or null when it runs on the default. */
    labBaseline(labId: string): Assignment | null {
      const row = baseline.get(labId);
      return row ? toAssignment(row) : null;
    },
    setLabBaseline(labId: string, profileId: string, actor: string, now = Date.now()): void {
      setBaseline.run({ labId, profileId, now, actor });
    },
    labsWithBaseline(profileId: string): string[] {
      return labsOnBaseline.all(profileId).map((row) => row.lab_id);
    },
    lessonProfile(lessonId: string): Assignment | null {
      const row = lesson.get(lessonId);
      return row ? toAssignment(row) : null;
    },
    setLessonProfile(lessonId: string, profileId: string | null, actor: string, now = Date.now()): void {
      setLesson.run({ lessonId, profileId, now, actor });
    },
    runningLessonsWithProfile(profileId: string): string[] {
      return runningLessonsOn.all(profileId).map((row) => row.lesson_id);
    },
    forgetProfileInEndedLessons(profileId: string): void {
      forgetInEndedLessons.run(profileId);
    },
  };
}
