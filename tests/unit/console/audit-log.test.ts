// The hash-chained audit log notices edits, deletions and reordering of its entries.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/main/store/audit-log.js';
import { openStoreFile, type Store } from '../../../src/main/store/index.js';

let dir: string;
let file: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-audit-'));
  file = path.join(dir, 'safelab.sqlite');
  store = openStoreFile(file);
  store.audit.recordAudit({ actor: 'cli', action: 'machine.enrolled', target: 'm-1', details: { hostname: 'PC-01' } });
  store.audit.recordAudit({ actor: 'console', action: 'commands.lock', details: { machineIds: ['m-1'], message: 'Nhìn lên bảng' } });
  store.audit.recordAudit({ actor: 'console', action: 'lesson.started', target: 'lesson-1', details: { className: '7A' } });
  store.close();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Tampers with the file the way someone with the SQLite file would: around the triggers. */
function tamper(sql: string): void {
  const raw = new BetterSqlite3(file);
  raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  raw.exec(sql);
  raw.close();
}

describe('audit log', () => {
  it('verifies an untouched chain after reopening', () => {
    store = openStoreFile(file);
    expect(store.audit.verifyAuditChain()).toEqual({ ok: true, entries: 3 });
    expect(store.audit.recentAudit(1)[0]).toMatchObject({ action: 'lesson.started', details: { className: '7A' } });
  });

  it('refuses updates and deletes through SQL', () => {
    store = openStoreFile(file);
    expect(() => store.db.exec("UPDATE audit_log SET actor = 'x' WHERE id = 1")).toThrow(/append-only/);
    expect(() => store.db.exec('DELETE FROM audit_log WHERE id = 1')).toThrow(/append-only/);
  });

  it('points at an edited entry', () => {
    tamper(`UPDATE audit_log SET details = '{"machineIds":["m-1"],"message":"ok"}' WHERE id = 2`);
    store = openStoreFile(file);
    expect(store.audit.verifyAuditChain()).toEqual({ ok: false, entries: 2, brokenAt: 2, reason: 'hash-mismatch' });
  });

  it('notices an entry deleted from the middle', () => {
    tamper('DELETE FROM audit_log WHERE id = 2');
    store = openStoreFile(file);
    expect(store.audit.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 3, reason: 'chain-broken' });
  });

  it('notices an edit that also recomputed the edited entry hash', () => {
    // Re-hashing one entry is not enough: the next entry still links to the old hash.
    tamper(`UPDATE audit_log SET hash = '${'ab'.repeat(32)}' WHERE id = 1`);
    store = openStoreFile(file);
    expect(store.audit.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('keeps chaining after a reopen', () => {
    store = openStoreFile(file);
    const entry = store.audit.recordAudit({ actor: 'console', action: 'lesson.ended' });
    expect(entry.id).toBe(4);
    expect(entry.prevHash).toBe(store.audit.recentAudit(2)[1]!.hash);
    expect(store.audit.verifyAuditChain()).toEqual({ ok: true, entries: 4 });
  });

  it('serialises details canonically whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
