// Lessons in progress, one per lab at most; screens are watched only inside one.
import { create } from 'zustand';
import type { Lesson } from '../../shared/api/contract.js';

interface LessonsState {
  activeByLab: Record<string, Lesson>;
  setActive(lessons: Lesson[]): void;
  /** Applies a started or ended lesson. */
  apply(lesson: Lesson): void;
}

export const useLessons = create<LessonsState>((set) => ({
  activeByLab: {},
  setActive(lessons) {
    const activeByLab: Record<string, Lesson> = {};
    for (const l of lessons) if (l.endedAt === null) activeByLab[l.labId] = l;
    set({ activeByLab });
  },
  apply(lesson) {
    set((s) => {
      const current = s.activeByLab[lesson.labId];
      if (lesson.endedAt === null) return { activeByLab: { ...s.activeByLab, [lesson.labId]: lesson } };
      if (!current || current.id !== lesson.id) return s;
      const activeByLab = { ...s.activeByLab };
      delete activeByLab[lesson.labId];
      return { activeByLab };
    });
  },
}));
