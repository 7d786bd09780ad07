// Web filtering as the console last reported it: what each lab enforces, where each PC stands,
// and whether the block lists (ours and third-party ones) are in place.
import { create } from 'zustand';
import type { ApiOutput, FilterChange, FilterListsState, LabFilter, ListSourceView, MachineFilterStatus } from '../../shared/api/contract.js';
import type { UserText } from '../api/console-error.js';

export type FilteringStatus = ApiOutput<'filtering.status'>;

interface FilteringState {
  /** True once filtering.status answered (the console has web filtering). */
  loaded: boolean;
  /** Why the last load failed (shown quietly in the filter bar), or null. */
  error: UserText | null;
  lists: FilterListsState | null;
  sources: ListSourceView[];
  labs: Record<string, LabFilter>;
  machines: Record<string, MachineFilterStatus>;
  setStatus(status: FilteringStatus): void;
  setSources(sources: ListSourceView[]): void;
  setError(error: UserText | null): void;
  applyLab(lab: LabFilter): void;
  applyMachine(status: MachineFilterStatus): void;
  applyLists(lists: FilterListsState): void;
  applyChange(change: FilterChange): void;
  forgetMachine(machineId: string): void;
}

/** A newer report of the same PC wins; an older one (overtaken by an event) is ignored. */
function newer(current: MachineFilterStatus | undefined, next: MachineFilterStatus): boolean {
  return !current || next.updatedAt >= current.updatedAt;
}

export const useFiltering = create<FilteringState>((set) => ({
  loaded: false,
  error: null,
  lists: null,
  sources: [],
  labs: {},
  machines: {},
  setStatus(status) {
    const labs: Record<string, LabFilter> = {};
    for (const lab of status.labs) labs[lab.labId] = lab;
    const machines: Record<string, MachineFilterStatus> = {};
    for (const m of status.machines) machines[m.machineId] = m;
    set({ loaded: true, error: null, lists: status.lists, sources: status.sources, labs, machines });
  },
  setSources(sources) {
    set({ sources });
  },
  setError(error) {
    set({ error });
  },
  applyLab(lab) {
    set((s) => ({ labs: { ...s.labs, [lab.labId]: lab } }));
  },
  applyMachine(status) {
    set((s) => (newer(s.machines[status.machineId], status) ? { machines: { ...s.machines, [status.machineId]: status } } : s));
  },
  applyLists(lists) {
    set({ lists });
  },
  applyChange(change) {
    set((s) => {
      const machines = { ...s.machines };
      for (const m of change.machines) if (newer(machines[m.machineId], m)) machines[m.machineId] = m;
      return { labs: { ...s.labs, [change.lab.labId]: change.lab }, machines };
    });
  },
  forgetMachine(machineId) {
    set((s) => {
      if (!(machineId in s.machines)) return s;
      const machines = { ...s.machines };
      delete machines[machineId];
      return { machines };
    });
  },
}));
