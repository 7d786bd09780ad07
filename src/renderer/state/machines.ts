// Enrolled machines by id, as the console last reported them.
import { create } from 'zustand';
import type { Machine } from '../../shared/api/contract.js';
import { unassignedLabKey } from './labs.js';

interface MachinesState {
  byId: Record<string, Machine>;
  setAll(machines: Machine[]): void;
  upsert(machine: Machine): void;
  remove(machineId: string): void;
}

export const useMachines = create<MachinesState>((set) => ({
  byId: {},
  setAll(machines) {
    const byId: Record<string, Machine> = {};
    for (const m of machines) byId[m.id] = m;
    set({ byId });
  },
  upsert(machine) {
    set((s) => ({ byId: { ...s.byId, [machine.id]: machine } }));
  },
  remove(machineId) {
    set((s) => {
      if (!(machineId in s.byId)) return s;
      const byId = { ...s.byId };
      delete byId[machineId];
      return { byId };
    });
  },
}));

/** Orders names the way people count: PC-2 before PC-10. */
export function compareMachineNames(a: Machine, b: Machine): number {
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) || a.id.localeCompare(b.id);
}

/** Machines of one lab (or the unassigned ones), in name order. */
export function machinesInLab(byId: Record<string, Machine>, labKey: string | null): Machine[] {
  if (labKey === null) return [];
  const wanted = labKey === unassignedLabKey ? null : labKey;
  return Object.values(byId)
    .filter((m) => m.labId === wanted)
    .sort(compareMachineNames);
}
