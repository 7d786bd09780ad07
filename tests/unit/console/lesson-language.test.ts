// A lesson remembers the language its students see (the monitoring badge), across a reopen.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreFile } from '../../../src/main/store/index.js';
import { migrate } from '../../../src/main/store/migrations.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-lesson-language-'));
  file = path.join(dir, 'safelab.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lesson language', () => {
  it('keeps an English lesson English after the console reopens its store', () => {
    let store = openStoreFile(file);
    const lab = store.labs.createLab('Phòng máy 2');
    const started = store.lessons.startLesson({ labId: lab.id, className: '8A', teacher: 'Ms Lan', language: 'en' });
    expect(started.language).toBe('en');
    store.close();
    store = openStoreFile(file);
    expect(store.lessons.runningLesson(lab.id)?.language).toBe('en');
    store.close();
  });

  it('gives lessons recorded before the language existed Vietnamese', () => {
    const raw = new BetterSqlite3(file);
    migrate(raw, 3);
    raw.prepare("INSERT INTO labs (id, name, created_at) VALUES ('lab-1', 'Phòng 1', 1)").run();
    raw.prepare("INSERT INTO lessons (id, lab_id, class_name, teacher, started_at) VALUES ('lesson-1', 'lab-1', '7A', '', 1)").run();
    raw.close();
    const store = openStoreFile(file);
    expect(store.lessons.runningLesson('lab-1')?.language).toBe('vi');
    expect(() => store.db.prepare("UPDATE lessons SET language = 'fr'").run()).toThrow();
    store.close();
  });
});
