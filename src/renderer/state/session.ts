// The live session with the console: wires events and link changes to the stores and refetches
// the whole picture whenever the link (re)opens, so nothing missed while away stays wrong.
import type { ConsoleTransport } from '../api/transport.js';
import { toConsoleError } from '../api/console-error.js';
import { reconnectDelayMs } from '../api/backoff.js';
import { useConnection } from './connection.js';
import { useDialogs } from './dialogs.js';
import { applyEvent, forgetUnwatchedThumbnails } from './events.js';
import { followFilteringEvent, loadFilteringPicture } from './filtering-actions.js';
import { useLabs } from './labs.js';
import { useLessons } from './lessons.js';
import { useMachines } from './machines.js';
import { useNotices } from './notices.js';
import { useSelection } from './selection.js';

let current: ConsoleTransport | null = null;

/** The transport of the running session (actions call the console through it). */
export function consoleApi(): ConsoleTransport {
  if (!current) throw new Error('console session not started');
  return current;
}

/** Loads labs, machines, lessons and console status at once and replaces what the stores hold. */
export async function refetchAll(transport: ConsoleTransport): Promise<void> {
  const [status, labs, lessons, machines] = await Promise.all([
    transport.call('console.status', {}),
    transport.call('labs.list', {}),
    transport.call('lessons.active', {}),
    transport.call('machines.list', {}),
  ]);
  useConnection.getState().setConsoleStatus(status);
  useLabs.getState().setAll(labs);
  useLessons.getState().setActive(lessons);
  useMachines.getState().setAll(machines);
  useLabs.getState().preferLabWithMachines(machines.map((m) => m.labId));
  useSelection.getState().retain(machines.map((m) => m.id));
  forgetUnwatchedThumbnails();
}

export function startSession(transport: ConsoleTransport): () => void {
  current = transport;
  let generation = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  async function load(attempt: number): Promise<void> {
    const mine = ++generation;
    try {
      await refetchAll(transport);
      if (mine !== generation) return;
      useConnection.getState().setStatus('online');
      // Not part of refetchAll: the lab screen must work even when filtering cannot be loaded.
      void loadFilteringPicture(transport);
      // The console forgets the focused machine when we were away; ask again.
      const open = useDialogs.getState().open;
      if (open?.kind === 'liveView') {
        void transport.call('thumbnails.focus', { machineId: open.machineId, screen: open.screen ?? 'all' }).catch(() => undefined);
      }
    } catch (error) {
      if (mine !== generation) return;
      const problem = toConsoleError(error);
      if (problem.code === 'unauthorized') {
        useConnection.getState().setStatus('unauthorized');
        return;
      }
      useConnection.getState().setStatus('reconnecting');
      useNotices.getState().show(problem.text);
      retryTimer = setTimeout(() => void load(attempt + 1), reconnectDelayMs(attempt));
    }
  }

  const offEvent = transport.onEvent((event) => {
    applyEvent(event);
    followFilteringEvent(transport, event);
  });
  const offLink = transport.onLinkChange((link) => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    if (link === 'open') {
      void load(0);
      return;
    }
    generation++;
    if (link === 'refused') {
      useConnection.getState().setStatus('unauthorized');
      return;
    }
    const status = useConnection.getState().status;
    if (status === 'unauthorized') return;
    useConnection.getState().setStatus(link === 'lost' || status !== 'connecting' ? 'reconnecting' : 'connecting');
  });
  transport.start();

  return () => {
    offEvent();
    offLink();
    if (retryTimer) clearTimeout(retryTimer);
    transport.stop();
    if (current === transport) current = null;
  };
}
