// The console store on a real SQLite file: migrations, reopen, repositories.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreFile } from '../../../src/main/store/index.js';
import { latestSchemaVersion, migrate, migrations, schemaVersion } from '../../../src/main/store/migrations.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-store-'));
  file = path.join(dir, 'safelab.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tableNames(db: BetterSqlite3.Database): string[] {
  return db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
}

describe('store migrations', () => {
  it('creates every table on an empty file and records the latest schema version', () => {
    const store = openStoreFile(file);
    expect(schemaVersion(store.db)).toBe(latestSchemaVersion);
    expect(latestSchemaVersion).toBe(migrations.length);
    expect(tableNames(store.db)).toEqual(expect.arrayContaining(['labs', 'machines', 'enrolments', 'lessons', 'audit_log', 'settings']));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    store.close();
  });

  it('upgrades a version-1 file to the latest schema keeping its rows', () => {
    const raw = new BetterSqlite3(file);
    migrate(raw, 1);
    expect(schemaVersion(raw)).toBe(1);
    expect(tableNames(raw)).not.toContain('lessons');
    raw.prepare("INSERT INTO labs (id, name, created_at) VALUES ('lab-old', 'Phòng máy cũ', 1)").run();
    raw.prepare(
      "INSERT INTO machines (id, lab_id, name, hostname, public_key, enrolled_at) VALUES ('m-000000000000000000000001', 'lab-old', 'PC-01', 'PC-01', 'AAAA', 2)",
    ).run();
    raw.close();

    const store = openStoreFile(file);
    expect(schemaVersion(store.db)).toBe(latestSchemaVersion);
    expect(store.labs.listLabs()).toEqual([{ id: 'lab-old', name: 'Phòng máy cũ', createdAt: 1, machineCount: 1 }]);
    const machine = store.machines.findMachine('m-000000000000000000000001');
    expect(machine?.state).toEqual({ locked: false, lessonActive: false });
    expect(store.machines.inventoryOf('m-000000000000000000000001')).toBeNull();
    const lesson = store.lessons.startLesson({ labId: 'lab-old', className: '7A', teacher: '' });
    expect(store.lessons.runningLesson('lab-old')?.id).toBe(lesson.id);
    store.close();
  });

  it('refuses a file written by a newer SafeLab', () => {
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${latestSchemaVersion + 1}`);
    raw.close();
    expect(() => openStoreFile(file)).toThrow(/newer/);
  });
});

describe('store repositories', () => {
  it('keeps labs, machines, lessons, enrolments and settings across a reopen', () => {
    let store = openStoreFile(file);
    const lab = store.labs.createLab('Phòng máy 1');
    store.machines.enrolMachine({ id: 'm-aaaaaaaaaaaaaaaaaaaaaaaa', labId: lab.id, hostname: 'PC-01', publicKey: 'KEY', remoteAddress: '10.0.0.5' });
    store.machines.recordHello('m-aaaaaaaaaaaaaaaaaaaaaaaa', {
      hostname: 'PC-01',
      os: 'linux 6.1',
      user: 'hs01',
      agentVersion: '0.1.0',
      desktop: 'simulated',
      screens: [{ id: 0, name: 'screen', x: 0, y: 0, width: 1280, height: 720, primary: true }],
      state: { locked: true, lockMessage: 'Nhìn lên bảng', lessonActive: true },
    });
    const lesson = store.lessons.startLesson({ labId: lab.id, className: '7A', teacher: 'Cô Lan' });
    const enrolment = store.enrolments.createEnrolment({ code: 'K7Q2-M9XD-4HTB', derivedKey: 'S0VZ', labId: lab.id, ttlMs: 60_000 });
    store.settings.writeSetting('thumbnails.intervalMs', 1500);
    store.audit.recordAudit({ actor: 'console', action: 'lesson.started', target: lesson.id });
    store.close();

    store = openStoreFile(file);
    expect(store.labs.findLabByName('phòng máy 1')?.machineCount).toBe(1);
    const machine = store.machines.findMachine('m-aaaaaaaaaaaaaaaaaaaaaaaa')!;
    expect(machine).toMatchObject({ user: 'hs01', os: 'linux 6.1', state: { locked: true, lockMessage: 'Nhìn lên bảng' } });
    expect(machine.screens).toHaveLength(1);
    expect(store.lessons.runningLessons().map((l) => l.id)).toEqual([lesson.id]);
    expect(store.enrolments.activeEnrolments().map((e) => e.id)).toEqual([enrolment.id]);
    expect(store.settings.readSetting<number>('thumbnails.intervalMs')).toBe(1500);
    expect(store.audit.verifyAuditChain()).toEqual({ ok: true, entries: 1 });
    store.close();
  });

  it('allows one running lesson per lab', () => {
    const store = openStoreFile(file);
    const lab = store.labs.createLab('Phòng 2');
    store.lessons.startLesson({ labId: lab.id, className: '8B', teacher: '' });
    expect(() => store.lessons.startLesson({ labId: lab.id, className: '8C', teacher: '' })).toThrow(/UNIQUE/);
    const ended = store.lessons.endLesson(lab.id);
    expect(ended?.endedAt).toBeTypeOf('number');
    expect(store.lessons.endLesson(lab.id)).toBeNull();
    store.lessons.startLesson({ labId: lab.id, className: '8C', teacher: '' });
    store.close();
  });

  it('hides removed machines from lists but still finds them to refuse their key', () => {
    const store = openStoreFile(file);
    store.machines.enrolMachine({ id: 'm-bbbbbbbbbbbbbbbbbbbbbbbb', labId: null, hostname: 'PC-02', publicKey: 'KEY', remoteAddress: null });
    expect(store.machines.removeMachine('m-bbbbbbbbbbbbbbbbbbbbbbbb')).toBe(true);
    expect(store.machines.removeMachine('m-bbbbbbbbbbbbbbbbbbbbbbbb')).toBe(false);
    expect(store.machines.listMachines()).toEqual([]);
    expect(store.machines.findMachine('m-bbbbbbbbbbbbbbbbbbbbbbbb')?.revokedAt).toBeTypeOf('number');
    store.close();
  });

  it('stops offering an enrolment once it expires or is revoked, and wipes its code and key', () => {
    const store = openStoreFile(file);
    const now = 1_000_000;
    const a = store.enrolments.createEnrolment({ code: 'AAAA-AAAA-AAAA', derivedKey: 'a2V5', labId: null, ttlMs: 1000 }, now);
    const b = store.enrolments.createEnrolment({ code: 'BBBB-BBBB-BBBB', derivedKey: 'a2V5', labId: null, ttlMs: 60_000 }, now);
    expect(store.enrolments.activeEnrolments(now + 10).map((e) => e.id)).toEqual([a.id, b.id]);
    expect(store.enrolments.activeEnrolments(now + 1000).map((e) => e.id)).toEqual([b.id]);
    expect(store.enrolments.revokeEnrolment(b.id, now + 1)).toBe(true);
    expect(store.enrolments.findEnrolment(b.id)).toMatchObject({ derivedKey: null, code: '', revokedAt: now + 1 });
    expect(store.enrolments.revokeEnrolment(b.id, now + 2)).toBe(false);
    expect(store.enrolments.forgetExpiredSecrets(now + 999)).toBe(0);
    expect(store.enrolments.findEnrolment(a.id)).toMatchObject({ code: 'AAAA-AAAA-AAAA', derivedKey: 'a2V5' });
    expect(store.enrolments.forgetExpiredSecrets(now + 1000)).toBe(1);
    expect(store.enrolments.findEnrolment(a.id)).toMatchObject({ derivedKey: null, code: '' });
    expect(store.enrolments.forgetExpiredSecrets(now + 5000)).toBe(0);
    store.close();
  });

  it('leaves no trace of a wiped code or key anywhere in the database file', () => {
    const store = openStoreFile(file);
    const now = Date.now();
    // Distinctive strings, so a match in the raw bytes can only be these.
    const revoked = store.enrolments.createEnrolment({ code: 'RVKD-7Q2M-9XDZ', derivedKey: 'cmV2b2tlZC1rZXktbWF0ZXJpYWw=', labId: null, ttlMs: 60_000 }, now);
    store.enrolments.createEnrolment({ code: 'EXPD-4HTB-K7QW', derivedKey: 'ZXhwaXJlZC1rZXktbWF0ZXJpYWw=', labId: null, ttlMs: 1000 }, now);
    store.enrolments.revokeEnrolment(revoked.id, now + 1);
    store.enrolments.forgetExpiredSecrets(now + 1000);
    store.close(); // folds the WAL into the file
    const bytes = readFileSync(file).toString('latin1');
    for (const secret of ['RVKD-7Q2M-9XDZ', 'cmV2b2tlZC1rZXktbWF0ZXJpYWw=', 'EXPD-4HTB-K7QW', 'ZXhwaXJlZC1rZXktbWF0ZXJpYWw=']) {
      expect(bytes.includes(secret), secret).toBe(false);
    }
  });

  it('rolls back every write of a failed transaction', () => {
    const store = openStoreFile(file);
    expect(() =>
      store.transaction(() => {
        store.labs.createLab('Phòng A');
        store.labs.createLab('phòng a'); // same name, different case: refused
      }),
    ).toThrow();
    expect(store.labs.listLabs()).toEqual([]);
    store.close();
  });
});
