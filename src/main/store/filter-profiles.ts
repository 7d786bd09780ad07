// Web-filtering profiles: the presets per age band and the ones IT staff make, each a validated JSON body.

import type { Database } from 'better-sqlite3';
import type { ProfileRow } from '../../shared/api/contract.js';
import { filterProfileSchema, type FilterProfile } from '../../shared/filtering/profile.js';

interface ProfileDbRow {
  id: string;
  body: string;
  built_in: number;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

function toRow(row: ProfileDbRow): ProfileRow {
  return {
    // Checked on the way out too: a hand-edited store must not send a malformed profile to agents.
    profile: filterProfileSchema.parse(JSON.parse(row.body)),
    builtIn: row.built_in === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export type FilterProfiles = ReturnType<typeof createFilterProfiles>;

export function createFilterProfiles(db: Database) {
  const list = db.prepare<[], ProfileDbRow>('SELECT * FROM filter_profiles ORDER BY built_in DESC, created_at, name');
  const byId = db.prepare<[string], ProfileDbRow>('SELECT * FROM filter_profiles WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO filter_profiles (id, name, age_band, body, built_in, created_at, updated_at, updated_by)
     VALUES (@id, @name, @ageBand, @body, @builtIn, @now, @now, @actor)`,
  );
  const update = db.prepare(
    'UPDATE filter_profiles SET name = @name, age_band = @ageBand, body = @body, updated_at = @now, updated_by = @actor WHERE id = @id',
  );
  const remove = db.prepare<[string]>('DELETE FROM filter_profiles WHERE id = ? AND built_in = 0');

  function findProfile(profileId: string): ProfileRow | null {
    const row = byId.get(profileId);
    return row ? toRow(row) : null;
  }

  function bodyOf(profile: FilterProfile): string {
    // Floors are made per lesson by the console, never stored with a profile.
    const { floors: _floors, ...rest } = filterProfileSchema.parse(profile);
    return JSON.stringify(rest);
  }

  return {
    listProfiles(): ProfileRow[] {
      return list.all().map(toRow);
    },
    findProfile,
    createProfile(profile: FilterProfile, options: { builtIn: boolean; actor: string; now?: number }): ProfileRow {
      insert.run({
        id: profile.id,
        name: profile.name,
        ageBand: profile.ageBand,
        body: bodyOf(profile),
        builtIn: options.builtIn ? 1 : 0,
        now: options.now ?? Date.now(),
        actor: options.actor,
      });
      return findProfile(profile.id)!;
    },
    /** Replaces the profile's body (its id stays); null when it does not exist. */
    updateProfile(profile: FilterProfile, actor: string, now = Date.now()): ProfileRow | null {
      const changed = update.run({ id: profile.id, name: profile.name, ageBand: profile.ageBand, body: bodyOf(profile), now, actor }).changes;
      return changed > 0 ? findProfile(profile.id) : null;
    },
    /** Removes a profile IT staff made (presets stay); the caller checks it is not in use. */
    removeProfile(profileId: string): boolean {
      return remove.run(profileId).changes > 0;
    },
  };
}
