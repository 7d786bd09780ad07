// Web filtering profiles (presets per age band and those IT staff made), as the console keeps them.
import { create } from 'zustand';
import type { ApiOutput, ProfileRow } from '../../shared/api/contract.js';

interface ProfilesState {
  loaded: boolean;
  byId: Record<string, ProfileRow>;
  /** Categories no profile may unblock (adult, gambling, bypass…). */
  alwaysBlocked: string[];
  /** The baseline of labs nobody chose one for. */
  defaultBaselineProfileId: string | null;
  setAll(list: ApiOutput<'profiles.list'>): void;
  upsert(row: ProfileRow): void;
  remove(profileId: string): void;
}

export const useProfiles = create<ProfilesState>((set) => ({
  loaded: false,
  byId: {},
  alwaysBlocked: [],
  defaultBaselineProfileId: null,
  setAll(list) {
    const byId: Record<string, ProfileRow> = {};
    for (const row of list.profiles) byId[row.profile.id] = row;
    set({ loaded: true, byId, alwaysBlocked: list.alwaysBlockedCategories, defaultBaselineProfileId: list.defaultBaselineProfileId });
  },
  upsert(row) {
    set((s) => {
      const current = s.byId[row.profile.id];
      // An event may overtake the answer to our own save, or the other way round: keep the newer.
      if (current && current.updatedAt > row.updatedAt) return s;
      return { byId: { ...s.byId, [row.profile.id]: row } };
    });
  },
  remove(profileId) {
    set((s) => {
      if (!(profileId in s.byId)) return s;
      const byId = { ...s.byId };
      delete byId[profileId];
      return { byId };
    });
  },
}));
