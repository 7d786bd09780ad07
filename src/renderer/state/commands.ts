// The command in flight and the outcome of the last one, shown as a per-machine result.
import { create } from 'zustand';
import type { CommandOutcome } from '../../shared/api/contract.js';
import type { UserText } from '../api/console-error.js';

/** Commands whose outcome the teacher sees in the results panel. */
export const teacherCommands = ['lock', 'unlock', 'showMessage'] as const;
export type TeacherCommand = (typeof teacherCommands)[number];

export function isTeacherCommand(name: string): name is TeacherCommand {
  return (teacherCommands as readonly string[]).includes(name);
}

interface CommandsState {
  pending: { command: TeacherCommand; count: number } | null;
  last: CommandOutcome | null;
  error: UserText | null;
  begin(command: TeacherCommand, count: number): void;
  /** Our own call came back. */
  finish(outcome: CommandOutcome): void;
  fail(error: UserText): void;
  /** A command.finished event (ours echoed, or from another console window). */
  record(outcome: CommandOutcome): void;
  dismiss(): void;
}

export const useCommands = create<CommandsState>((set, get) => ({
  pending: null,
  last: null,
  error: null,
  begin(command, count) {
    set({ pending: { command, count }, error: null });
  },
  finish(outcome) {
    set({ pending: null, last: outcome, error: null });
  },
  fail(error) {
    set({ pending: null, error });
  },
  record(outcome) {
    if (!isTeacherCommand(outcome.command)) return;
    const last = get().last;
    if (last && (last.commandId === outcome.commandId || last.finishedAt > outcome.finishedAt)) return;
    set({ last: outcome });
  },
  dismiss() {
    set({ last: null, error: null });
  },
}));
