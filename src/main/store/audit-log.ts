// The append-only audit log: who did what, when. Each entry carries the previous entry's hash and
// its own hash over (previous hash + canonical entry), so editing, deleting or reordering any
// entry breaks the chain and verifyAuditChain() points at the first broken entry.

import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';

export const auditGenesisHash = '0'.repeat(64);

export interface AuditEntryInput {
  /** Who acted: 'console' (teacher UI), 'cli', 'agent:<machineId>', 'system'. */
  actor: string;
  /** What happened, dotted: 'machine.enrolled', 'commands.lock', 'lesson.started'. */
  action: string;
  /** What it happened to (machine id, lab id, lesson id), if anything. */
  target?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditChainReport =
  | { ok: true; entries: number }
  | { ok: false; entries: number; brokenAt: number; reason: 'hash-mismatch' | 'chain-broken' };

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so equal values always serialise alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The hash an entry must carry: SHA-256 over the previous hash and the canonical entry. */
export function auditEntryHash(prevHash: string, row: { id: number; at: number; actor: string; action: string; target: string | null; details: string }): string {
  const canonical = JSON.stringify([row.id, row.at, row.actor, row.action, row.target, row.details]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

export type AuditLog = ReturnType<typeof createAuditLog>;

export function createAuditLog(db: Database) {
  const last = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const insert = db.prepare(
    `INSERT INTO audit_log (id, at, actor, action, target, details, prev_hash, hash)
     VALUES (@id, @at, @actor, @action, @target, @details, @prevHash, @hash)`,
  );
  const all = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY id');
  const recent = db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?');

  const append = db.transaction((input: AuditEntryInput, at: number): AuditEntry => {
    const previous = last.get();
    const id = (previous?.id ?? 0) + 1;
    const prevHash = previous?.hash ?? auditGenesisHash;
    const details = canonicalJson(input.details ?? {});
    const target = input.target ?? null;
    const hash = auditEntryHash(prevHash, { id, at, actor: input.actor, action: input.action, target, details });
    insert.run({ id, at, actor: input.actor, action: input.action, target, details, prevHash, hash });
    return { id, at, actor: input.actor, action: input.action, target, details: JSON.parse(details), prevHash, hash };
  });

  function toEntry(row: AuditRow): AuditEntry {
    return {
      id: row.id,
      at: row.at,
      actor: row.actor,
      action: row.action,
      target: row.target,
      details: JSON.parse(row.details) as Record<string, unknown>,
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }

  return {
    recordAudit(input: AuditEntryInput, at = Date.now()): AuditEntry {
      return append(input, at);
    },
    recentAudit(limit = 100): AuditEntry[] {
      return recent.all(limit).map(toEntry);
    },
    /** Walks the whole chain; reports the first entry whose hash or link does not hold. */
    verifyAuditChain(): AuditChainReport {
      let prevHash = auditGenesisHash;
      let entries = 0;
      for (const row of all.iterate()) {
        entries++;
        if (row.prev_hash !== prevHash) return { ok: false, entries, brokenAt: row.id, reason: 'chain-broken' };
        if (auditEntryHash(prevHash, row) !== row.hash) return { ok: false, entries, brokenAt: row.id, reason: 'hash-mismatch' };
        prevHash = row.hash;
      }
      return { ok: true, entries };
    },
  };
}
