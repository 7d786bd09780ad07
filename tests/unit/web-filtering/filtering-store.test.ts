// The web-filtering tables on a real SQLite file: the upgrade from schema 2, profiles, lab and
// lesson assignments, list sources, and the bounded record of blocked attempts.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { presetProfile } from '../../../src/shared/filtering/presets.js';
import { openStoreFile, type Store } from '../../../src/main/store/index.js';
import { latestSchemaVersion, migrate, schemaVersion } from '../../../src/main/store/migrations.js';
import type { NewBlockedAttempt } from '../../../src/main/store/blocked-attempts.js';

let dir: string;
let file: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-filter-store-'));
  file = path.join(dir, 'safelab.sqlite');
});
afterEach(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function attempt(at: number, overrides: Partial<NewBlockedAttempt> = {}): NewBlockedAttempt {
  return { at, machineId: 'm-0001', labId: 'lab-1', lessonId: null, name: 'casino.test', category: 'gambling', ...overrides };
}

describe('the web-filtering schema', () => {
  it('upgrades a schema-2 store keeping its labs and lessons', () => {
    const raw = new BetterSqlite3(file);
    migrate(raw, 2);
    raw.prepare("INSERT INTO labs (id, name, created_at) VALUES ('lab-1', 'Phòng 1', 1)").run();
    raw.prepare("INSERT INTO lessons (id, lab_id, class_name, started_at) VALUES ('lesson-1', 'lab-1', '7A', 2)").run();
    raw.close();
    store = openStoreFile(file);
    expect(schemaVersion(store.db)).toBe(latestSchemaVersion);
    expect(store.lessons.runningLesson('lab-1')?.id).toBe('lesson-1');
    store.profiles.createProfile(presetProfile('thcs'), { builtIn: true, actor: 'system' });
    store.filterAssignments.setLessonProfile('lesson-1', 'preset-thcs', 'teacher');
    expect(store.filterAssignments.lessonProfile('lesson-1')).toMatchObject({ profileId: 'preset-thcs', updatedBy: 'teacher' });
  });
});

describe('profiles and assignments', () => {
  beforeEach(() => {
    store = openStoreFile(file);
    store.labs.createLab('Phòng 1');
  });

  it('stores a profile as validated JSON and replaces it on update, keeping its id', () => {
    const row = store.profiles.createProfile(presetProfile('thpt'), { builtIn: true, actor: 'system', now: 10 });
    expect(row).toMatchObject({ builtIn: true, createdAt: 10, updatedAt: 10, updatedBy: 'system', profile: { id: 'preset-thpt', name: 'THPT' } });
    const updated = store.profiles.updateProfile({ ...presetProfile('thpt'), name: 'THPT (trường)', extraBlock: ['x.test'] }, 'cli', 20)!;
    expect(updated).toMatchObject({ createdAt: 10, updatedAt: 20, updatedBy: 'cli', profile: { name: 'THPT (trường)', extraBlock: ['x.test'] } });
    expect(store.profiles.updateProfile({ ...presetProfile('thpt'), id: 'nobody' }, 'cli')).toBeNull();
    expect(() => store.profiles.createProfile({ ...presetProfile('thpt'), id: 'bad', extraBlock: ['not a name'] }, { builtIn: false, actor: 'x' })).toThrow();
  });

  it('never removes a preset, and removes a custom profile once ended lessons forget it', () => {
    store.profiles.createProfile(presetProfile('thcs'), { builtIn: true, actor: 'system' });
    store.profiles.createProfile({ ...presetProfile('thcs'), id: 'profile-own', name: 'Riêng' }, { builtIn: false, actor: 'it' });
    expect(store.profiles.removeProfile('preset-thcs')).toBe(false);

    const lab = store.labs.listLabs()[0]!;
    const lesson = store.lessons.startLesson({ labId: lab.id, className: '8B', teacher: '' });
    store.filterAssignments.setLessonProfile(lesson.id, 'profile-own', 'teacher');
    expect(store.filterAssignments.runningLessonsWithProfile('profile-own')).toEqual([lesson.id]);
    store.lessons.endLesson(lab.id);
    expect(store.filterAssignments.runningLessonsWithProfile('profile-own')).toEqual([]);
    // Still referenced by the ended lesson: the foreign key refuses until it is forgotten there.
    expect(() => store.profiles.removeProfile('profile-own')).toThrow(/FOREIGN KEY/);
    store.filterAssignments.forgetProfileInEndedLessons('profile-own');
    expect(store.profiles.removeProfile('profile-own')).toBe(true);
    expect(store.filterAssignments.lessonProfile(lesson.id)?.profileId).toBeNull();
  });

  it('remembers a lab baseline and which labs use a profile', () => {
    store.profiles.createProfile(presetProfile('tieu-hoc'), { builtIn: true, actor: 'system' });
    const lab = store.labs.listLabs()[0]!;
    expect(store.filterAssignments.labBaseline(lab.id)).toBeNull();
    store.filterAssignments.setLabBaseline(lab.id, 'preset-tieu-hoc', 'it', 5);
    expect(store.filterAssignments.labBaseline(lab.id)).toEqual({ profileId: 'preset-tieu-hoc', updatedAt: 5, updatedBy: 'it' });
    expect(store.filterAssignments.labsWithBaseline('preset-tieu-hoc')).toEqual([lab.id]);
    expect(() => store.filterAssignments.setLabBaseline(lab.id, 'no-such-profile', 'it')).toThrow(/FOREIGN KEY/);
  });

  it('keeps list sources in the order they were added', () => {
    store.listSources.addSource({ type: 'ut1-category', id: 'ut1-adult', category: 'adult' }, 'system');
    store.listSources.addSource({ type: 'file', id: 'own', path: '/tmp/own.txt', category: 'custom-list', kind: 'block', format: 'auto' }, 'it');
    expect(store.listSources.listSources().map((s) => s.id)).toEqual(['ut1-adult', 'own']);
    expect(store.listSources.findSource('own')).toMatchObject({ type: 'file', kind: 'block' });
    expect(() => store.listSources.addSource({ type: 'ut1-category', id: 'own', category: 'adult' }, 'it')).toThrow(/UNIQUE/);
    expect(store.listSources.removeSource('ut1-adult')).toBe(true);
    expect(store.listSources.listSources().map((s) => s.id)).toEqual(['own']);
  });
});

describe('the record of blocked attempts', () => {
  beforeEach(() => {
    store = openStoreFile(file);
  });

  it('answers by lesson, lab, PC and time range, newest first, with counts per PC and per category', () => {
    store.blockedAttempts.record([
      attempt(1000, { lessonId: 'lesson-a' }),
      attempt(2000, { lessonId: 'lesson-a', machineId: 'm-0002', name: 'site.test', category: 'allowlist-only' }),
      attempt(3000, { lessonId: 'lesson-a', machineId: 'm-0002', name: 'game.test', category: 'games' }),
      attempt(4000, { labId: 'lab-2', machineId: 'm-0003' }),
    ]);
    const lesson = store.blockedAttempts.query({ lessonId: 'lesson-a', limit: 2 });
    expect(lesson.total).toBe(3);
    expect(lesson.attempts.map((a) => a.at)).toEqual([3000, 2000]);
    expect(lesson.byMachine).toEqual([
      { machineId: 'm-0002', count: 2 },
      { machineId: 'm-0001', count: 1 },
    ]);
    expect(lesson.byCategory.map((c) => c.category).sort()).toEqual(['allowlist-only', 'gambling', 'games']);
    expect(store.blockedAttempts.query({ labId: 'lab-1', from: 1500, to: 3000, limit: 10 }).attempts.map((a) => a.name)).toEqual(['site.test']);
    expect(store.blockedAttempts.query({ machineId: 'm-0003', limit: 10 }).attempts[0]).toMatchObject({ labId: 'lab-2', lessonId: null, category: 'gambling' });
    expect(store.blockedAttempts.query({ limit: 10 }).total).toBe(4);
  });

  it('drops attempts older than the retention period and the oldest beyond the row cap', () => {
    const now = 10_000_000;
    store.blockedAttempts.record(Array.from({ length: 10 }, (_, i) => attempt(now - 1000 + i, { name: `n${i}.test` })));
    store.blockedAttempts.record([attempt(now - 50_000, { name: 'old.test' })]);
    expect(store.blockedAttempts.prune(now, 10_000, 1_000)).toBe(1);
    expect(store.blockedAttempts.count()).toBe(10);
    expect(store.blockedAttempts.prune(now, 10_000, 4)).toBe(6);
    expect(store.blockedAttempts.query({ limit: 10 }).attempts.map((a) => a.name)).toEqual(['n9.test', 'n8.test', 'n7.test', 'n6.test']);
  });
});
