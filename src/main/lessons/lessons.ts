// Lessons: a teacher starts one for a class in a lab and ends it. While it runs, the lab's PCs
// show the monitoring indicator and (only then) thumbnails flow. Agents learn the lesson state on
// start, on end, and every time they (re)connect, so a console restart mid-lesson loses nothing.

import type { Lesson } from '../../shared/api/contract.js';
import type { LessonState } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { AgentHub } from '../agent-hub/hub.js';
import type { EventBus } from '../api/events.js';
import { lessonEndActor } from '../api/actor.js';
import { ApiError } from '../api/errors.js';
import type { Commands } from '../commands/commands.js';
import type { Store } from '../store/index.js';

export interface LessonsOptions {
  store: Store;
  hub: AgentHub;
  commands: Commands;
  events: EventBus;
  log(line: string): void;
  /** Called whenever the set of running lessons changes (the thumbnail scheduler listens). */
  changed(labId: string): void;
}

const noLesson: LessonState = { active: false, language: 'vi' };

export class Lessons {
  private readonly options: LessonsOptions;
  /** Running lessons by lab id: a cache of the store for the thumbnail path. */
  private readonly running = new Map<string, Lesson>();

  constructor(options: LessonsOptions) {
    this.options = options;
    for (const lesson of options.store.lessons.runningLessons()) this.running.set(lesson.labId, lesson);
  }

  isRunning(labId: string | null): boolean {
    return labId !== null && this.running.has(labId);
  }

  get anyRunning(): boolean {
    return this.running.size > 0;
  }

  runningLessons(): Lesson[] {
    return [...this.running.values()];
  }

  /** What the lab's agents should show. */
  stateForLab(labId: string | null): LessonState {
    const lesson = labId ? this.running.get(labId) : undefined;
    return lesson ? { active: true, lessonId: lesson.id, className: lesson.className, language: lesson.language } : noLesson;
  }

  start(labId: string, className: string, teacher: string, actor: string, language: 'vi' | 'en' = 'vi'): Lesson {
    const { store } = this.options;
    const lab = store.labs.findLab(labId);
    if (!lab) throw new ApiError('not-found', 'errors.labNotFound', { lab: labId });
    const existing = this.running.get(labId);
    if (existing) throw new ApiError('conflict', 'errors.lessonAlreadyRunning', { lab: lab.name, className: existing.className });
    const lesson = store.transaction(() => {
      const started = store.lessons.startLesson({ labId, className, teacher, language });
      store.audit.recordAudit({ actor, action: 'lesson.started', target: started.id, details: { labId, className, teacher } });
      return started;
    });
    this.running.set(labId, lesson);
    this.options.log(`lessons: ${className} started in ${lab.name}`);
    this.announce(labId);
    this.options.events.emit({ type: 'lesson.updated', lesson });
    this.options.changed(labId);
    return lesson;
  }

  /** Ends the lab's lesson; null when none was running. */
  end(labId: string, actor: string): Lesson | null {
    const { store } = this.options;
    if (!store.labs.findLab(labId)) throw new ApiError('not-found', 'errors.labNotFound', { lab: labId });
    const lesson = store.transaction(() => {
      const ended = store.lessons.endLesson(labId);
      if (!ended) return null;
      store.audit.recordAudit({ actor, action: 'lesson.ended', target: ended.id, details: { labId, className: ended.className } });
      // A lesson's own web profile ends with it and the lab is back on its baseline: a profile
      // change like any other, made by the lesson's end rather than by a person (who ended the
      // lesson is in endedBy and in the lesson.ended entry above).
      const lessonProfileId = store.filterAssignments.lessonProfile(ended.id)?.profileId ?? null;
      if (lessonProfileId !== null) {
        store.audit.recordAudit({ actor: lessonEndActor, action: 'lesson.profileChanged', target: ended.id, details: { labId, from: lessonProfileId, to: null, endedBy: actor } });
      }
      return ended;
    });
    this.running.delete(labId);
    if (!lesson) return null;
    this.options.log(`lessons: ${lesson.className} ended in lab ${labId}`);
    this.announce(labId);
    this.options.events.emit({ type: 'lesson.updated', lesson });
    this.options.changed(labId);
    return lesson;
  }

  /**
   * A machine said hello: tell it the lesson of its lab (the indicator must match reality), also
   * when it still shows a lesson that ended while it was away.
   */
  machineReady(connection: AgentConnection, reportsLessonActive: boolean): void {
    if (this.isRunning(connection.labId) || reportsLessonActive) {
      this.options.commands.sendInternal(connection, { name: 'setLesson', lesson: this.stateForLab(connection.labId) });
    }
  }

  /** A machine moved labs: it now follows the new lab's lesson (or none). */
  machineMoved(connection: AgentConnection): void {
    this.options.commands.sendInternal(connection, { name: 'setLesson', lesson: this.stateForLab(connection.labId) });
  }

  private announce(labId: string): void {
    const targets: AgentConnection[] = [];
    for (const connection of this.options.hub.onlineConnections()) {
      if (connection.labId === labId && connection.helloReceived) targets.push(connection);
    }
    this.options.commands.sendInternalToAll(targets, { name: 'setLesson', lesson: this.stateForLab(labId) });
  }
}
