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
  /**
   * Takes a filtering.status answer. With the `request` it was fetched under, what events said
   * about a PC or a lab while the answer was on its way wins over the (older) answer.
   */
  setStatus(status: FilteringStatus, request?: StatusRequest): void;
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

/**
 * A filtering.status request on its way. The console takes its snapshot some time after the
 * request leaves and the answer arrives later still; events that came meanwhile on the event
 * stream may be newer than the snapshot (a PC that was "sending" in it has since said "applied",
 * and no further event will come). The request records which PCs and labs events touched so that
 * setStatus keeps what they said. Open only while a request is outstanding (`done` closes it).
 */
export interface StatusRequest {
  readonly machines: Set<string>;
  readonly labs: Set<string>;
  /** A filter.lists event came meanwhile. */
  lists: boolean;
  done(): void;
}

const openRequests = new Set<StatusRequest>();

export function beginStatusRequest(): StatusRequest {
  const request: StatusRequest = { machines: new Set(), labs: new Set(), lists: false, done: () => void openRequests.delete(request) };
  openRequests.add(request);
  return request;
}

function touchedMachine(machineId: string): void {
  for (const r of openRequests) r.machines.add(machineId);
}

function touchedLab(labId: string): void {
  for (const r of openRequests) r.labs.add(labId);
}

export const useFiltering = create<FilteringState>((set) => ({
  loaded: false,
  error: null,
  lists: null,
  sources: [],
  labs: {},
  machines: {},
  setStatus(status, request) {
    set((s) => {
      const labs: Record<string, LabFilter> = {};
      for (const lab of status.labs) labs[lab.labId] = lab;
      const machines: Record<string, MachineFilterStatus> = {};
      for (const m of status.machines) machines[m.machineId] = m;
      for (const labId of request?.labs ?? []) {
        const current = s.labs[labId];
        if (current) labs[labId] = current;
      }
      for (const machineId of request?.machines ?? []) {
        const current = s.machines[machineId];
        if (!current) delete machines[machineId]; // removed meanwhile
        else if (newer(machines[machineId], current)) machines[machineId] = current;
      }
      const lists = request?.lists && s.lists ? s.lists : status.lists;
      return { loaded: true, error: null, lists, sources: status.sources, labs, machines };
    });
  },
  setSources(sources) {
    set({ sources });
  },
  setError(error) {
    set({ error });
  },
  applyLab(lab) {
    touchedLab(lab.labId);
    set((s) => ({ labs: { ...s.labs, [lab.labId]: lab } }));
  },
  applyMachine(status) {
    touchedMachine(status.machineId);
    set((s) => (newer(s.machines[status.machineId], status) ? { machines: { ...s.machines, [status.machineId]: status } } : s));
  },
  applyLists(lists) {
    for (const r of openRequests) r.lists = true;
    set({ lists });
  },
  applyChange(change) {
    touchedLab(change.lab.labId);
    for (const m of change.machines) touchedMachine(m.machineId);
    set((s) => {
      const machines = { ...s.machines };
      for (const m of change.machines) if (newer(machines[m.machineId], m)) machines[m.machineId] = m;
      return { labs: { ...s.labs, [change.lab.labId]: change.lab }, machines };
    });
  },
  forgetMachine(machineId) {
    touchedMachine(machineId);
    set((s) => {
      if (!(machineId in s.machines)) return s;
      const machines = { ...s.machines };
      delete machines[machineId];
      return { machines };
    });
  },
}));
