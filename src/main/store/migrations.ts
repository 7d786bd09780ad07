// Schema migrations in code: migrations[i] takes the store from user_version i to i + 1.
// Append new steps at the end; never edit a step that has shipped.

import type { Database } from 'better-sqlite3';

export interface Migration {
  /** What this step adds, for the log. */
  description: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  {
    description: 'labs, machines, enrolments, settings and the hash-chained audit log',
    up(db) {
      db.exec(`
        CREATE TABLE labs (
          id          TEXT PRIMARY KEY,
          name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
          created_at  INTEGER NOT NULL
        );

        CREATE TABLE machines (
          id             TEXT PRIMARY KEY,
          lab_id         TEXT REFERENCES labs(id) ON DELETE SET NULL,
          name           TEXT NOT NULL,
          hostname       TEXT NOT NULL,
          os             TEXT NOT NULL DEFAULT '',
          user           TEXT,
          agent_version  TEXT NOT NULL DEFAULT '',
          desktop        TEXT NOT NULL DEFAULT '',
          screens        TEXT NOT NULL DEFAULT '[]',
          public_key     TEXT NOT NULL,
          enrolled_at    INTEGER NOT NULL,
          last_seen_at   INTEGER,
          state          TEXT NOT NULL DEFAULT '{"locked":false,"lessonActive":false}',
          revoked_at     INTEGER,
          remote_address TEXT
        );
        CREATE INDEX machines_by_lab ON machines(lab_id);

        CREATE TABLE enrolments (
          id          TEXT PRIMARY KEY,
          code        TEXT NOT NULL,
          -- K = PBKDF2(code), base64: derived once here so verifying a proof is one HMAC.
          -- Wiped (NULL) when the enrolment is revoked.
          derived_key TEXT,
          lab_id      TEXT REFERENCES labs(id) ON DELETE SET NULL,
          created_at  INTEGER NOT NULL,
          expires_at  INTEGER NOT NULL,
          revoked_at  INTEGER,
          uses        INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );

        CREATE TABLE audit_log (
          id         INTEGER PRIMARY KEY,
          at         INTEGER NOT NULL,
          actor      TEXT NOT NULL,
          action     TEXT NOT NULL,
          target     TEXT,
          details    TEXT NOT NULL,
          prev_hash  TEXT NOT NULL,
          hash       TEXT NOT NULL
        );
        -- Append-only from the application's side; the hash chain catches anyone who drops these.
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
      `);
    },
  },
  {
    description: 'lessons (one running lesson per lab) and machine inventory',
    up(db) {
      db.exec(`
        CREATE TABLE lessons (
          id          TEXT PRIMARY KEY,
          lab_id      TEXT NOT NULL REFERENCES labs(id) ON DELETE CASCADE,
          class_name  TEXT NOT NULL,
          teacher     TEXT NOT NULL DEFAULT '',
          started_at  INTEGER NOT NULL,
          ended_at    INTEGER
        );
        CREATE UNIQUE INDEX lessons_one_running_per_lab ON lessons(lab_id) WHERE ended_at IS NULL;
        CREATE INDEX lessons_by_lab ON lessons(lab_id, started_at);

        ALTER TABLE machines ADD COLUMN inventory TEXT;
      `);
    },
  },
  {
    description: 'web filtering: profiles, lab baselines, lesson profiles, list sources and blocked attempts',
    up(db) {
      db.exec(`
        CREATE TABLE filter_profiles (
          id          TEXT PRIMARY KEY,
          name        TEXT NOT NULL,
          age_band    TEXT NOT NULL,
          -- The whole FilterProfile as JSON, checked with filterProfileSchema on the way in and out.
          body        TEXT NOT NULL,
          built_in    INTEGER NOT NULL DEFAULT 0,
          created_at  INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL,
          updated_by  TEXT NOT NULL
        );

        -- A lab without a row here uses the default baseline (the THCS preset).
        CREATE TABLE lab_filtering (
          lab_id               TEXT PRIMARY KEY REFERENCES labs(id) ON DELETE CASCADE,
          baseline_profile_id  TEXT NOT NULL REFERENCES filter_profiles(id),
          updated_at           INTEGER NOT NULL,
          updated_by           TEXT NOT NULL
        );

        -- The profile a lesson switched to (NULL: back on the lab baseline); history is in the audit log.
        CREATE TABLE lesson_filtering (
          lesson_id   TEXT PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
          profile_id  TEXT REFERENCES filter_profiles(id),
          updated_at  INTEGER NOT NULL,
          updated_by  TEXT NOT NULL
        );

        CREATE TABLE list_sources (
          id        TEXT PRIMARY KEY,
          -- The ListSource as JSON (listSourceSchema).
          body      TEXT NOT NULL,
          position  INTEGER NOT NULL,
          added_at  INTEGER NOT NULL,
          added_by  TEXT NOT NULL
        );

        -- A bounded log (see store/blocked-attempts.ts): no foreign keys, so it outlives a removed PC
        -- until the retention limit.
        CREATE TABLE blocked_attempts (
          id          INTEGER PRIMARY KEY,
          at          INTEGER NOT NULL,
          received_at INTEGER NOT NULL,
          machine_id  TEXT NOT NULL,
          lab_id      TEXT,
          lesson_id   TEXT,
          name        TEXT NOT NULL,
          category    TEXT NOT NULL
        );
        CREATE INDEX blocked_attempts_by_lesson ON blocked_attempts(lesson_id, at) WHERE lesson_id IS NOT NULL;
        CREATE INDEX blocked_attempts_by_lab ON blocked_attempts(lab_id, at);
        CREATE INDEX blocked_attempts_by_machine ON blocked_attempts(machine_id, at);
        CREATE INDEX blocked_attempts_by_time ON blocked_attempts(at);
      `);
    },
  },
  {
    description: 'lessons remember the language students see (monitoring badge, lock screen chrome)',
    up(db) {
      db.exec(`ALTER TABLE lessons ADD COLUMN language TEXT NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en'));`);
    },
  },
];

export const latestSchemaVersion = migrations.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the store to `target` (default: latest), each step in its own transaction so a failed
 * step leaves the file at the previous version. Refuses a file from a newer SafeLab.
 */
export function migrate(db: Database, target: number = latestSchemaVersion, log?: (line: string) => void): number {
  let version = schemaVersion(db);
  if (version > latestSchemaVersion) {
    throw new Error(`store schema version ${version} is newer than this SafeLab (${latestSchemaVersion}); update SafeLab`);
  }
  while (version < target) {
    const step = migrations[version]!;
    const next = version + 1;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${next}`);
    })();
    log?.(`store: migrated to schema ${next} (${step.description})`);
    version = next;
  }
  return version;
}
