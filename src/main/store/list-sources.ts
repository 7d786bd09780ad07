// The list sources IT staff configured (UT1 categories, list URLs, files on the console PC), in order.

import type { Database } from 'better-sqlite3';
import { listSourceSchema, type ListSource } from '../../shared/filtering/list-sources.js';

interface SourceRow {
  id: string;
  body: string;
}

export type ListSources = ReturnType<typeof createListSources>;

export function createListSources(db: Database) {
  const list = db.prepare<[], SourceRow>('SELECT id, body FROM list_sources ORDER BY position, id');
  const byId = db.prepare<[string], SourceRow>('SELECT id, body FROM list_sources WHERE id = ?');
  const nextPosition = db.prepare<[], { next: number }>('SELECT COALESCE(MAX(position), 0) + 1 AS next FROM list_sources');
  const insert = db.prepare(
    'INSERT INTO list_sources (id, body, position, added_at, added_by) VALUES (@id, @body, @position, @now, @actor)',
  );
  const remove = db.prepare<[string]>('DELETE FROM list_sources WHERE id = ?');

  const toSource = (row: SourceRow): ListSource => listSourceSchema.parse(JSON.parse(row.body));

  return {
    listSources(): ListSource[] {
      return list.all().map(toSource);
    },
    findSource(sourceId: string): ListSource | null {
      const row = byId.get(sourceId);
      return row ? toSource(row) : null;
    },
    /** Appends a source; throws a SQLite UNIQUE error when the id is taken (callers check first). */
    addSource(source: ListSource, actor: string, now = Date.now()): void {
      const parsed = listSourceSchema.parse(source);
      insert.run({ id: parsed.id, body: JSON.stringify(parsed), position: nextPosition.get()!.next, now, actor });
    },
    removeSource(sourceId: string): boolean {
      return remove.run(sourceId).changes > 0;
    },
  };
}
