// Blocked web attempts agents report (time, PC, name, category; never page content), kept for the
// lesson record within a bound: rows older than the retention period or beyond the row cap go first.

import type { Database } from 'better-sqlite3';
import type { BlockedAttempt } from '../../shared/api/contract.js';

/** How long blocked attempts are kept: a school term and a bit, for the lesson record. */
export const blockedAttemptRetentionMs = 90 * 24 * 60 * 60 * 1000;
/** Most rows kept whatever their age (about 60 MB of SQLite at most): a flood cannot fill the disk. */
export const maxBlockedAttemptRows = 500_000;
/** How many entries the counts per PC / per category list at most. */
export const maxBlockedCountRows = 200;

export interface NewBlockedAttempt {
  at: number;
  machineId: string;
  labId: string | null;
  lessonId: string | null;
  name: string;
  category: string;
}

export interface BlockedQuery {
  lessonId?: string;
  labId?: string;
  machineId?: string;
  from?: number;
  to?: number;
  limit: number;
}

interface AttemptRow {
  id: number;
  at: number;
  machine_id: string;
  lab_id: string | null;
  lesson_id: string | null;
  name: string;
  category: string;
}

const toAttempt = (row: AttemptRow): BlockedAttempt => ({
  id: row.id,
  at: row.at,
  machineId: row.machine_id,
  labId: row.lab_id,
  lessonId: row.lesson_id,
  name: row.name,
  category: row.category,
});

/** WHERE clause and parameters for a query (only known columns; values always bound). */
function whereOf(query: BlockedQuery): { sql: string; params: Record<string, string | number> } {
  const parts: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.lessonId !== undefined) {
    parts.push('lesson_id = @lessonId');
    params['lessonId'] = query.lessonId;
  }
  if (query.labId !== undefined) {
    parts.push('lab_id = @labId');
    params['labId'] = query.labId;
  }
  if (query.machineId !== undefined) {
    parts.push('machine_id = @machineId');
    params['machineId'] = query.machineId;
  }
  if (query.from !== undefined) {
    parts.push('at >= @from');
    params['from'] = query.from;
  }
  if (query.to !== undefined) {
    parts.push('at < @to');
    params['to'] = query.to;
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export type BlockedAttempts = ReturnType<typeof createBlockedAttempts>;

export function createBlockedAttempts(db: Database) {
  const insert = db.prepare(
    `INSERT INTO blocked_attempts (at, received_at, machine_id, lab_id, lesson_id, name, category)
     VALUES (@at, @receivedAt, @machineId, @labId, @lessonId, @name, @category)`,
  );
  const insertAll = db.transaction((rows: readonly NewBlockedAttempt[], receivedAt: number) => {
    for (const row of rows) insert.run({ ...row, receivedAt });
  });
  const dropOlder = db.prepare<[number]>('DELETE FROM blocked_attempts WHERE at < ?');
  const cutoffId = db.prepare<[number], { id: number }>('SELECT id FROM blocked_attempts ORDER BY id DESC LIMIT 1 OFFSET ?');
  const dropUpTo = db.prepare<[number]>('DELETE FROM blocked_attempts WHERE id <= ?');
  const countAll = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM blocked_attempts');
  const statements = new Map<string, ReturnType<Database['prepare']>>();
  const prepared = (sql: string): ReturnType<Database['prepare']> => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };

  return {
    record(rows: readonly NewBlockedAttempt[], receivedAt = Date.now()): void {
      if (rows.length > 0) insertAll(rows, receivedAt);
    },
    /** Applies the retention bound; returns how many rows went. */
    prune(now = Date.now(), retentionMs = blockedAttemptRetentionMs, maxRows = maxBlockedAttemptRows): number {
      let removed = dropOlder.run(now - retentionMs).changes;
      const cutoff = cutoffId.get(maxRows);
      if (cutoff) removed += dropUpTo.run(cutoff.id).changes;
      return removed;
    },
    query(query: BlockedQuery): { total: number; attempts: BlockedAttempt[]; byMachine: { machineId: string; count: number }[]; byCategory: { category: string; count: number }[] } {
      const { sql, params } = whereOf(query);
      const total = (prepared(`SELECT COUNT(*) AS n FROM blocked_attempts ${sql}`).get(params) as { n: number }).n;
      const attempts = (prepared(`SELECT * FROM blocked_attempts ${sql} ORDER BY at DESC, id DESC LIMIT @limit`).all({ ...params, limit: query.limit }) as AttemptRow[]).map(toAttempt);
      const byMachine = prepared(
        `SELECT machine_id AS machineId, COUNT(*) AS count FROM blocked_attempts ${sql} GROUP BY machine_id ORDER BY count DESC, machine_id LIMIT ${maxBlockedCountRows}`,
      ).all(params) as { machineId: string; count: number }[];
      const byCategory = prepared(
        `SELECT category, COUNT(*) AS count FROM blocked_attempts ${sql} GROUP BY category ORDER BY count DESC, category LIMIT ${maxBlockedCountRows}`,
      ).all(params) as { category: string; count: number }[];
      return { total, attempts, byMachine, byCategory };
    },
    count(): number {
      return countAll.get()!.n;
    },
  };
}
