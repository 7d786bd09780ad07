// Enrolments: short-lived codes IT staff hand to new PCs, with the key derived from each code.
// The code (shown again while the Add computers dialog is open) and its key live only while the
// enrolment can be used: revoking it or letting it expire wipes both, keeping just the row that
// says an enrolment existed (for the audit trail and the use count).

import type { Database } from 'better-sqlite3';
import { newId } from './ids.js';

export interface EnrolmentRecord {
  id: string;
  /** The code IT staff type; '' once revoked or expired. */
  code: string;
  /** K = deriveEnrolmentKey(code), base64; null once revoked or expired. */
  derivedKey: string | null;
  labId: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  uses: number;
}

interface EnrolmentRow {
  id: string;
  code: string;
  derived_key: string | null;
  lab_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  uses: number;
}

function toRecord(row: EnrolmentRow): EnrolmentRecord {
  return {
    id: row.id,
    code: row.code,
    derivedKey: row.derived_key,
    labId: row.lab_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    uses: row.uses,
  };
}

export type Enrolments = ReturnType<typeof createEnrolments>;

export function createEnrolments(db: Database) {
  const insert = db.prepare(
    `INSERT INTO enrolments (id, code, derived_key, lab_id, created_at, expires_at)
     VALUES (@id, @code, @derivedKey, @labId, @createdAt, @expiresAt)`,
  );
  const active = db.prepare<[number], EnrolmentRow>(
    `SELECT * FROM enrolments WHERE revoked_at IS NULL AND derived_key IS NOT NULL AND expires_at > ? ORDER BY created_at`,
  );
  const byId = db.prepare<[string], EnrolmentRow>('SELECT * FROM enrolments WHERE id = ?');
  const revoke = db.prepare<[number, string]>(
    `UPDATE enrolments SET revoked_at = ?, derived_key = NULL, code = '' WHERE id = ? AND revoked_at IS NULL`,
  );
  const used = db.prepare<[string]>('UPDATE enrolments SET uses = uses + 1 WHERE id = ?');
  // Expired codes are useless but they and their keys are still secrets worth not keeping.
  const forgetExpired = db.prepare<[number]>(
    `UPDATE enrolments SET derived_key = NULL, code = '' WHERE expires_at <= ? AND (derived_key IS NOT NULL OR code != '')`,
  );

  return {
    createEnrolment(input: { code: string; derivedKey: string; labId: string | null; ttlMs: number }, now = Date.now()): EnrolmentRecord {
      const record: EnrolmentRecord = {
        id: newId('enr'),
        code: input.code,
        derivedKey: input.derivedKey,
        labId: input.labId,
        createdAt: now,
        expiresAt: now + input.ttlMs,
        revokedAt: null,
        uses: 0,
      };
      insert.run(record);
      return record;
    },
    /** Unexpired, unrevoked enrolments: the only ones an agent may enrol with. */
    activeEnrolments(now = Date.now()): EnrolmentRecord[] {
      return active.all(now).map(toRecord);
    },
    findEnrolment(enrolmentId: string): EnrolmentRecord | null {
      const row = byId.get(enrolmentId);
      return row ? toRecord(row) : null;
    },
    revokeEnrolment(enrolmentId: string, now = Date.now()): boolean {
      return revoke.run(now, enrolmentId).changes > 0;
    },
    countUse(enrolmentId: string): void {
      used.run(enrolmentId);
    },
    /** Wipes the code and key of every expired enrolment (the hub's housekeeping calls it); returns how many. */
    forgetExpiredSecrets(now = Date.now()): number {
      return forgetExpired.run(now).changes;
    },
  };
}
