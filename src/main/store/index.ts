// The console store: one SQLite file (WAL, foreign keys on) and the repositories over it.

import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import path from 'node:path';
import { createAuditLog } from './audit-log.js';
import { createBlockedAttempts } from './blocked-attempts.js';
import { createEnrolments } from './enrolments.js';
import { createFilterAssignments } from './filter-assignments.js';
import { createFilterProfiles } from './filter-profiles.js';
import { createLabs } from './labs.js';
import { createLessons } from './lessons.js';
import { createListSources } from './list-sources.js';
import { createMachines } from './machines.js';
import { migrate } from './migrations.js';
import { createSettings } from './settings.js';

export const storeFileName = 'safelab.sqlite';

export interface Store {
  readonly file: string;
  readonly db: Database;
  readonly labs: ReturnType<typeof createLabs>;
  readonly machines: ReturnType<typeof createMachines>;
  readonly enrolments: ReturnType<typeof createEnrolments>;
  readonly lessons: ReturnType<typeof createLessons>;
  readonly audit: ReturnType<typeof createAuditLog>;
  readonly settings: ReturnType<typeof createSettings>;
  readonly profiles: ReturnType<typeof createFilterProfiles>;
  readonly filterAssignments: ReturnType<typeof createFilterAssignments>;
  readonly listSources: ReturnType<typeof createListSources>;
  readonly blockedAttempts: ReturnType<typeof createBlockedAttempts>;
  /** Runs `work` in one transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T;
  close(): void;
}

/** Opens a store file directly (tests, tools). Most code calls openStore(dataDir). */
export function openStoreFile(file: string, log?: (line: string) => void): Store {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL is durable across application crashes; only an OS crash can lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Overwrite what is deleted or replaced instead of leaving it in free pages: wiped enrolment
    // codes and removed machines' keys must not linger in the file.
    db.pragma('secure_delete = ON');
    migrate(db, undefined, log);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    file,
    db,
    labs: createLabs(db),
    machines: createMachines(db),
    enrolments: createEnrolments(db),
    lessons: createLessons(db),
    audit: createAuditLog(db),
    settings: createSettings(db),
    profiles: createFilterProfiles(db),
    filterAssignments: createFilterAssignments(db),
    listSources: createListSources(db),
    blockedAttempts: createBlockedAttempts(db),
    transaction: <T>(work: () => T): T => db.transaction(work)(),
    close() {
      if (!db.open) return;
      // Fold the WAL back into the main file so a copied data dir is one self-contained file.
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

export function openStore(dataDir: string, log?: (line: string) => void): Store {
  return openStoreFile(path.join(dataDir, storeFileName), log);
}

export type { MachineRecord } from './machines.js';
export type { EnrolmentRecord } from './enrolments.js';
export type { AuditEntry, AuditChainReport } from './audit-log.js';
