// What the teacher can do, as calls to the console that also update the stores at once
// (the matching events arrive a moment later and change nothing).
import type { CommandRequest, Enrolment, Lesson } from '../../shared/api/contract.js';
import type { Inventory } from '../../shared/protocol/messages.js';
import { toConsoleError } from '../api/console-error.js';
import { useBlocked } from './blocked.js';
import { useCommands } from './commands.js';
import { forgetUnwatchedThumbnails } from './events.js';
import { useFiltering } from './filtering.js';
import { useLanguage } from './language.js';
import { useLessons } from './lessons.js';
import { useMachines } from './machines.js';
import { useNotices } from './notices.js';
import { consoleApi } from './session.js';

/** Sends lock / unlock / message; the outcome lands in the results panel. */
export async function runCommand(machineIds: string[], command: CommandRequest): Promise<void> {
  if (machineIds.length === 0) return;
  useCommands.getState().begin(command.name, machineIds.length);
  try {
    const outcome = await consoleApi().call('commands.run', { machineIds, command });
    useCommands.getState().finish(outcome);
  } catch (error) {
    useCommands.getState().fail(toConsoleError(error).text);
  }
}

/** Throws a ConsoleError (shown in the dialog that asked). */
export async function startLesson(labId: string, className: string, teacher: string, profileId?: string): Promise<Lesson> {
  try {
    // Students see the monitoring badge in the language the teacher works in.
    const language = useLanguage.getState().language;
    const lesson = await consoleApi().call('lessons.start', { labId, className, teacher, language, ...(profileId ? { profileId } : {}) });
    if (useLessons.getState().activeByLab[labId]?.id !== lesson.id) useBlocked.getState().begin(lesson, true);
    useLessons.getState().apply(lesson);
    return lesson;
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function endLesson(labId: string): Promise<void> {
  try {
    const lesson = await consoleApi().call('lessons.end', { labId });
    if (lesson) useLessons.getState().apply(lesson);
    forgetUnwatchedThumbnails();
    useBlocked.getState().retain(Object.values(useLessons.getState().activeByLab).map((l) => l.id));
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function createEnrolment(labId: string | null): Promise<Enrolment> {
  try {
    return await consoleApi().call('enrolment.create', { labId });
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function revokeEnrolment(enrolmentId: string): Promise<void> {
  try {
    await consoleApi().call('enrolment.revoke', { enrolmentId });
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function removeMachine(machineId: string): Promise<void> {
  try {
    await consoleApi().call('machines.remove', { machineId });
    useMachines.getState().remove(machineId);
    useFiltering.getState().forgetMachine(machineId);
    forgetUnwatchedThumbnails();
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function moveMachine(machineId: string, labId: string): Promise<void> {
  try {
    const machine = await consoleApi().call('machines.move', { machineId, labId });
    useMachines.getState().upsert(machine);
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function loadInventory(machineId: string, refresh: boolean): Promise<Inventory | null> {
  try {
    return await consoleApi().call('machines.inventory', { machineId, refresh });
  } catch (error) {
    throw toConsoleError(error);
  }
}

/**
 * Asks the console to refresh one machine faster (the live view), showing one monitor or the
 * whole desktop; null returns it to the grid rate.
 */
export function focusThumbnail(machineId: string | null, screen: number | 'all' = 'all'): void {
  consoleApi()
    .call('thumbnails.focus', { machineId, screen })
    .catch((error: unknown) => {
      // Not worth a dialog: the view still updates at the grid rate. Tell the teacher anyway.
      if (machineId !== null) useNotices.getState().show(toConsoleError(error).text);
    });
}
