// Labs: the rooms of PCs a teacher works with.

import type { Database } from 'better-sqlite3';
import type { Lab } from '../../shared/api/contract.js';
import { newId } from './ids.js';

interface LabRow {
  id: string;
  name: string;
  created_at: number;
  machine_count: number;
}

const selectWithCount = `
  SELECT l.id, l.name, l.created_at,
         (SELECT COUNT(*) FROM machines m WHERE m.lab_id = l.id AND m.revoked_at IS NULL) AS machine_count
  FROM labs l`;

function toLab(row: LabRow): Lab {
  return { id: row.id, name: row.name, createdAt: row.created_at, machineCount: row.machine_count };
}

export type Labs = ReturnType<typeof createLabs>;

export function createLabs(db: Database) {
  const list = db.prepare<[], LabRow>(`${selectWithCount} ORDER BY l.created_at, l.name`);
  const byId = db.prepare<[string], LabRow>(`${selectWithCount} WHERE l.id = ?`);
  const byName = db.prepare<[string], LabRow>(`${selectWithCount} WHERE l.name = ? COLLATE NOCASE`);
  const insert = db.prepare<[string, string, number]>('INSERT INTO labs (id, name, created_at) VALUES (?, ?, ?)');
  const rename = db.prepare<[string, string]>('UPDATE labs SET name = ? WHERE id = ?');

  function findLab(labId: string): Lab | null {
    const row = byId.get(labId);
    return row ? toLab(row) : null;
  }

  return {
    findLab,
    listLabs(): Lab[] {
      return list.all().map(toLab);
    },
    findLabByName(name: string): Lab | null {
      const row = byName.get(name.trim());
      return row ? toLab(row) : null;
    },
    /** Creates a lab; throws a SQLite UNIQUE error when the name is taken (callers check first). */
    createLab(name: string, now = Date.now()): Lab {
      const id = newId('lab');
      insert.run(id, name.trim(), now);
      return { id, name: name.trim(), createdAt: now, machineCount: 0 };
    },
    renameLab(labId: string, name: string): Lab | null {
      rename.run(name.trim(), labId);
      return findLab(labId);
    },
  };
}
