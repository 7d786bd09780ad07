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
  /** True once the teacher picked the lab (now or on an earlier visit); else we may move on. */
  chosen: boolean;
  setAll(labs: Lab[]): void;
  upsert(lab: Lab): void;
  select(labKey: string): void;
  /** Moves off an automatically picked empty lab when another lab has machines. */
  preferLabWithMachines(machineLabIds: Iterable<string | null>): void;
}

/**
 * Keeps the current choice if it still exists, else the remembered one, else the first lab
 * (by name) that has machines, else the first lab.
 */
export function pickLab(labs: Lab[], current: string | null, remembered: string | null): string | null {
  const ids = new Set(labs.map((l) => l.id));
  if (current && (ids.has(current) || current === unassignedLabKey)) return current;
  if (remembered && ids.has(remembered)) return remembered;
  const sorted = sortLabs(labs);
  return (sorted.find((l) => l.machineCount > 0) ?? sorted[0])?.id ?? null;
}

export const useLabs = create<LabsState>((set, get) => ({
  byId: {},
  selectedLabKey: null,
  chosen: false,
  setAll(labs) {
    const byId: Record<string, Lab> = {};
    for (const lab of labs) byId[lab.id] = lab;
    const remembered = readSetting(labSettingKey);
    const selectedLabKey = pickLab(labs, get().selectedLabKey, remembered);
    set({ byId, selectedLabKey, chosen: get().chosen || (selectedLabKey !== null && selectedLabKey === remembered) });
  },
  upsert(lab) {
    set((s) => ({ byId: { ...s.byId, [lab.id]: lab }, selectedLabKey: s.selectedLabKey ?? lab.id }));
  },
  select(labKey) {
    if (labKey !== unassignedLabKey) writeSetting(labSettingKey, labKey);
    set({ selectedLabKey: labKey, chosen: true });
  },
  preferLabWithMachines(machineLabIds) {
    const { chosen, selectedLabKey, byId } = get();
    if (chosen) return;
    const withMachines = new Set<string>();
    for (const id of machineLabIds) if (id !== null && id in byId) withMachines.add(id);
    if (selectedLabKey !== null && withMachines.has(selectedLabKey)) return;
    const next = sortLabs(Object.values(byId)).find((l) => withMachines.has(l.id));
    if (next) set({ selectedLabKey: next.id });
  },
}));
