// Labs known to the console and which one the teacher is looking at (remembered on this PC).
import { create } from 'zustand';
import type { Lab } from '../../shared/api/contract.js';
import { readSetting, writeSetting } from './storage.js';

/** Picker entry for enrolled machines not yet placed in a lab (not a real lab id). */
export const unassignedLabKey = '~unassigned';

export const labSettingKey = 'safelab.lab';

export function sortLabs(labs: Iterable<Lab>): Lab[] {
  return [...labs].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }));
}

interface LabsState {
  byId: Record<string, Lab>;
  /** A lab id, `unassignedLabKey`, or null before anything is loaded. */
  selectedLabKey: string | null;
  setAll(labs: Lab[]): void;
  upsert(lab: Lab): void;
  select(labKey: string): void;
}

/** Keeps the current choice if it still exists, else the remembered one, else the first lab. */
export function pickLab(labs: Lab[], current: string | null, remembered: string | null): string | null {
  const ids = new Set(labs.map((l) => l.id));
  if (current && (ids.has(current) || current === unassignedLabKey)) return current;
  if (remembered && ids.has(remembered)) return remembered;
  return sortLabs(labs)[0]?.id ?? null;
}

export const useLabs = create<LabsState>((set, get) => ({
  byId: {},
  selectedLabKey: null,
  setAll(labs) {
    const byId: Record<string, Lab> = {};
    for (const lab of labs) byId[lab.id] = lab;
    set({ byId, selectedLabKey: pickLab(labs, get().selectedLabKey, readSetting(labSettingKey)) });
  },
  upsert(lab) {
    set((s) => ({ byId: { ...s.byId, [lab.id]: lab }, selectedLabKey: s.selectedLabKey ?? lab.id }));
  },
  select(labKey) {
    if (labKey !== unassignedLabKey) writeSetting(labSettingKey, labKey);
    set({ selectedLabKey: labKey });
  },
}));
