// Which dialog is open; one at a time, so Esc and focus always belong to the one on top.
import { create } from 'zustand';

export type OpenDialog =
  | { kind: 'lock'; machineIds: string[] }
  | { kind: 'message'; machineIds: string[] }
  | { kind: 'startLesson'; labId: string }
  | { kind: 'endLesson'; labId: string }
  | { kind: 'addComputers' }
  | { kind: 'details'; machineId: string }
  | { kind: 'removeMachine'; machineId: string }
  /** `screen`: the monitor shown (an id from the machine's screens); absent = the whole desktop. */
  | { kind: 'liveView'; machineId: string; screen?: number | 'all' }
  | { kind: 'baselineProfile'; labId: string }
  | { kind: 'lessonProfile'; labId: string };

interface DialogsState {
  open: OpenDialog | null;
  show(dialog: OpenDialog): void;
  close(): void;
}

export const useDialogs = create<DialogsState>((set) => ({
  open: null,
  show: (open) => set({ open }),
  close: () => set({ open: null }),
}));

/** Closes the dialog if it is about this machine (it was removed or left the lesson). */
export function closeDialogsAbout(machineId: string, kinds: OpenDialog['kind'][]): void {
  const open = useDialogs.getState().open;
  if (open && kinds.includes(open.kind) && 'machineId' in open && open.machineId === machineId) useDialogs.getState().close();
}
