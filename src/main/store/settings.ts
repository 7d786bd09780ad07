// Settings: small key/value pairs (JSON values) the console keeps between runs.

import type { Database } from 'better-sqlite3';

export type Settings = ReturnType<typeof createSettings>;

export function createSettings(db: Database) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');

  return {
    readSetting<T>(key: string): T | null {
      const row = get.get(key);
      return row ? (JSON.parse(row.value) as T) : null;
    },
    writeSetting(key: string, value: unknown): void {
      set.run(key, JSON.stringify(value));
    },
    forgetSetting(key: string): void {
      remove.run(key);
    },
  };
}
