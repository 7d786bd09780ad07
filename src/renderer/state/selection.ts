// Which tiles of the lab grid the teacher has ticked; commands go to these (or to the whole lab).
import { create } from 'zustand';

interface SelectionState {
  selected: Record<string, true>;
  toggle(machineId: string): void;
  setMany(machineIds: string[]): void;
  clear(): void;
  /** Drops ticks of machines no longer shown (removed, moved, other lab). */
  retain(machineIds: Iterable<string>): void;
}

export const useSelection = create<SelectionState>((set) => ({
  selected: {},
  toggle(machineId) {
    set((s) => {
      const selected = { ...s.selected };
      if (selected[machineId]) delete selected[machineId];
      else selected[machineId] = true;
      return { selected };
    });
  },
  setMany(machineIds) {
    const selected: Record<string, true> = {};
    for (const id of machineIds) selected[id] = true;
    set({ selected });
  },
  clear() {
    set({ selected: {} });
  },
  retain(machineIds) {
    set((s) => {
      const keep = new Set(machineIds);
      const ids = Object.keys(s.selected);
      if (ids.every((id) => keep.has(id))) return s;
      const selected: Record<string, true> = {};
      for (const id of ids) if (keep.has(id)) selected[id] = true;
      return { selected };
    });
  },
}));

/** The machines a command goes to: the ticked ones of the lab, or every machine of the lab. */
export function commandTargets(labMachineIds: string[], selected: Record<string, true>): { ids: string[]; wholeLab: boolean } {
  const ticked = labMachineIds.filter((id) => selected[id]);
  return ticked.length > 0 ? { ids: ticked, wholeLab: false } : { ids: labMachineIds, wholeLab: true };
}
