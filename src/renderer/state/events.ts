// Applies console events to the stores. Thumbnails are kept only for machines of a lab with a
// lesson in progress: outside a lesson no student screen is shown, whatever arrives. Web filtering
// events keep the filter bar, the tiles and the blocked-attempts panel live.
import type { ApiEvent, Lesson } from '../../shared/api/contract.js';
import { useBlocked } from './blocked.js';
import { useCommands } from './commands.js';
import { closeDialogsAbout, useDialogs } from './dialogs.js';
import { useFiltering } from './filtering.js';
import { useLabs } from './labs.js';
import { useLessons } from './lessons.js';
import { useMachines } from './machines.js';
import { useProfiles } from './profiles.js';
import { useSelection } from './selection.js';
import { machinesWithPictures, thumbnailStore } from './thumbnails.js';

/** True when screens of this machine may be shown now. */
export function isWatched(machineId: string): boolean {
  const machine = useMachines.getState().byId[machineId];
  if (!machine || !machine.online || machine.labId === null) return false;
  return machine.labId in useLessons.getState().activeByLab;
}

/** Drops the frames of every machine no longer watched (after a lesson ends or a refetch). */
export function forgetUnwatchedThumbnails(): void {
  const ids = machinesWithPictures(thumbnailStore.getState()).filter((id) => !isWatched(id));
  thumbnailStore.getState().drop(ids);
  const open = useDialogs.getState().open;
  if (open?.kind === 'liveView' && !isWatched(open.machineId)) useDialogs.getState().close();
}

/** The running lesson (as this window knows the lessons) with this id, or undefined. */
function runningLesson(lessonId: string): Lesson | undefined {
  return Object.values(useLessons.getState().activeByLab).find((lesson) => lesson.id === lessonId);
}

function applyLesson(lesson: Lesson): void {
  const known = useLessons.getState().activeByLab[lesson.labId]?.id === lesson.id;
  useLessons.getState().apply(lesson);
  if (lesson.endedAt !== null) {
    forgetUnwatchedThumbnails();
    useBlocked.getState().retain(Object.values(useLessons.getState().activeByLab).map((l) => l.id));
  } else if (!known) {
    // Just started: nothing was blocked in it yet, so there is nothing to fetch.
    useBlocked.getState().begin(lesson, true);
  }
}

export function applyEvent(event: ApiEvent): void {
  switch (event.type) {
    case 'machine.updated':
      useMachines.getState().upsert(event.machine);
      if (!useLabs.getState().chosen) useLabs.getState().preferLabWithMachines(Object.values(useMachines.getState().byId).map((m) => m.labId));
      // Offline, moved out of the lesson's lab: its last frame must not stay on screen.
      if (!isWatched(event.machine.id)) {
        thumbnailStore.getState().drop([event.machine.id]);
        closeDialogsAbout(event.machine.id, ['liveView']);
      }
      return;
    case 'machine.removed':
      useMachines.getState().remove(event.machineId);
      thumbnailStore.getState().drop([event.machineId]);
      useSelection.getState().retain(Object.keys(useMachines.getState().byId));
      closeDialogsAbout(event.machineId, ['details', 'removeMachine', 'liveView']);
      useFiltering.getState().forgetMachine(event.machineId);
      return;
    case 'lab.updated':
      useLabs.getState().upsert(event.lab);
      return;
    case 'lesson.updated':
      applyLesson(event.lesson);
      return;
    case 'command.finished':
      useCommands.getState().record(event.outcome);
      return;
    case 'thumbnail':
      if (!isWatched(event.machineId)) return;
      thumbnailStore.getState().put(event);
      return;
    case 'filter.blocked': {
      // Only a lesson running now collects attempts here. A late batch for a lesson that has ended
      // (a PC reports after a pause, or sends its queue after a reconnect) is in the console's
      // record of that lesson and must not open an entry this window would keep until a reload; a
      // batch for a lesson this window does not know yet is in the record it loads with the lesson.
      const lesson = event.lessonId === null ? undefined : runningLesson(event.lessonId);
      if (lesson) useBlocked.getState().add(lesson.id, lesson.labId, event.machineId, event.attempts);
      return;
    }
    case 'filter.machine':
      useFiltering.getState().applyMachine(event.status);
      return;
    case 'filter.lab':
      useFiltering.getState().applyLab(event.lab);
      return;
    case 'filter.lists':
      useFiltering.getState().applyLists(event.lists);
      return;
    case 'profile.updated':
      useProfiles.getState().upsert(event.profile);
      return;
    case 'profile.removed':
      useProfiles.getState().remove(event.profileId);
      return;
    default:
      // A newer console may send events this UI does not know yet; ignore them.
      return;
  }
}
