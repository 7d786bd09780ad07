// Web filtering calls to the console: loading the picture, switching a lab's or a lesson's
// profile, editing profiles and lists. Stores are updated from the answers at once (the matching
// events arrive a moment later and change nothing).
import type { ApiEvent, FilterProfileBody, Lesson, ProfileRow } from '../../shared/api/contract.js';
import type { ListSourceInput } from '../../shared/filtering/list-sources.js';
import { toConsoleError } from '../api/console-error.js';
import type { ConsoleTransport } from '../api/transport.js';
import { maxRecentBlocked, useBlocked } from './blocked.js';
import { beginStatusRequest, useFiltering } from './filtering.js';
import { useLessons } from './lessons.js';
import { useProfiles } from './profiles.js';
import { consoleApi } from './session.js';

/** Fetches a running lesson's blocked attempts (counts and the latest ones) into the live panel. */
export async function loadLessonBlocked(transport: ConsoleTransport, lesson: Lesson): Promise<void> {
  const blocked = useBlocked.getState();
  blocked.begin(lesson, false);
  blocked.fetching(lesson.id);
  const record = await transport.call('filtering.blocked', { lessonId: lesson.id, limit: maxRecentBlocked });
  useBlocked.getState().loaded(lesson, record);
}

/**
 * Fetches filtering.status into the store. What events said while the answer was on its way
 * wins over it (see StatusRequest). Throws what the call threw.
 */
async function fetchStatus(transport: ConsoleTransport): Promise<void> {
  const request = beginStatusRequest();
  try {
    useFiltering.getState().setStatus(await transport.call('filtering.status', {}), request);
  } finally {
    request.done();
  }
}

/**
 * Loads filtering status, profiles and the blocked attempts of every running lesson. Never
 * throws: the lab screen works without it, and says the filtering picture could not be loaded.
 */
export async function loadFilteringPicture(transport: ConsoleTransport): Promise<void> {
  const lessons = Object.values(useLessons.getState().activeByLab);
  useBlocked.getState().retain(lessons.map((l) => l.id));
  // A lesson whose record could not be fetched still counts what arrives from now on.
  const blockedLoads = lessons.map((lesson) => loadLessonBlocked(transport, lesson).catch(() => undefined));
  try {
    const [, profiles] = await Promise.all([fetchStatus(transport), transport.call('profiles.list', {})]);
    useProfiles.getState().setAll(profiles);
  } catch (error) {
    useFiltering.getState().setError(toConsoleError(error).text);
  }
  await Promise.all(blockedLoads);
}

/** Reactions to events that need the console: a finished list build, attempts of a lesson not loaded yet. */
export function followFilteringEvent(transport: ConsoleTransport, event: ApiEvent): void {
  if (event.type === 'filter.lists' && !event.lists.building) {
    void fetchStatus(transport).catch(() => undefined);
    return;
  }
  if (event.type === 'filter.blocked' && event.lessonId !== null && event.labId !== null) {
    const record = useBlocked.getState().byLesson[event.lessonId];
    const lesson = useLessons.getState().activeByLab[event.labId];
    if (record && !record.loaded && record.sinceFetch === null && lesson?.id === event.lessonId) {
      void loadLessonBlocked(transport, lesson).catch(() => undefined);
    }
  }
}

/** Throws a ConsoleError (shown in the dialog that asked). */
export async function setLabBaseline(labId: string, profileId: string): Promise<void> {
  try {
    useFiltering.getState().applyChange(await consoleApi().call('labs.setBaselineProfile', { labId, profileId }));
  } catch (error) {
    throw toConsoleError(error);
  }
}

/** During the running lesson: a stricter profile, or null for the lab baseline alone. Throws a ConsoleError. */
export async function setLessonProfile(labId: string, profileId: string | null): Promise<void> {
  try {
    useFiltering.getState().applyChange(await consoleApi().call('lessons.setProfile', { labId, profileId }));
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function saveProfile(profileId: string, profile: FilterProfileBody): Promise<ProfileRow> {
  try {
    const row = await consoleApi().call('profiles.update', { profileId, profile });
    useProfiles.getState().upsert(row);
    return row;
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function createProfile(profile: FilterProfileBody): Promise<ProfileRow> {
  try {
    const row = await consoleApi().call('profiles.create', { profile });
    useProfiles.getState().upsert(row);
    return row;
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function removeProfile(profileId: string): Promise<void> {
  try {
    const { removed } = await consoleApi().call('profiles.remove', { profileId });
    if (removed) useProfiles.getState().remove(profileId);
  } catch (error) {
    throw toConsoleError(error);
  }
}

/** Downloads the web lists now (can take minutes on a slow line). Throws a ConsoleError. */
export async function refreshLists(): Promise<void> {
  try {
    useFiltering.getState().setSources(await consoleApi().call('lists.refresh', {}));
  } catch (error) {
    throw toConsoleError(error);
  }
}

export async function setListsAutoRefresh(enabled: boolean): Promise<void> {
  try {
    useFiltering.getState().applyLists(await consoleApi().call('lists.setAutoRefresh', { enabled }));
  } catch (error) {
    throw toConsoleError(error);
  }
}

/**
 * Adds a list source (the console checks the path and duplicates and compiles the lists again),
 * then reloads the picture so its report — lines it could not use — shows at once. Throws a ConsoleError.
 */
export async function addListSource(source: ListSourceInput): Promise<void> {
  try {
    const api = consoleApi();
    useFiltering.getState().setSources(await api.call('lists.add', { source }));
    await fetchStatus(api);
  } catch (error) {
    throw toConsoleError(error);
  }
}

/** Stops using a list source; the lists are compiled again without it. Throws a ConsoleError. */
export async function removeListSource(sourceId: string): Promise<void> {
  try {
    const api = consoleApi();
    await api.call('lists.remove', { sourceId });
    await fetchStatus(api);
  } catch (error) {
    throw toConsoleError(error);
  }
}
