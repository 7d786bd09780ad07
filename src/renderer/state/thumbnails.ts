// Live screen thumbnails as object URLs: per machine, its latest picture of the whole desktop (what
// its tile shows) and, while a large view asks for one monitor only, the latest picture of that
// monitor (what the large view shows). A picture of one monitor never takes the tile's place: a
// tile showing one of two screens would pass for the whole desktop. The previous URL of a slot is
// revoked when a newer frame replaces it, so a lesson of hours does not leak image memory.
import { createStore, useStore } from 'zustand';

export interface Thumbnail {
  url: string;
  width: number;
  height: number;
  /** The monitor pictured, or 'all' for the whole desktop. */
  screen: number | 'all';
  capturedAt: number;
  receivedAt: number;
}

/** Makes and frees object URLs (browser Blob URLs; a counting fake in tests). */
export interface ObjectUrls {
  create(bytes: Uint8Array<ArrayBuffer>, type: string): string;
  revoke(url: string): void;
}

export const browserObjectUrls: ObjectUrls = {
  create: (bytes, type) => URL.createObjectURL(new Blob([bytes], { type })),
  revoke: (url) => URL.revokeObjectURL(url),
};

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export interface ThumbnailFrame {
  machineId: string;
  width: number;
  height: number;
  /** Absent from older consoles: the whole desktop. */
  screen?: number | 'all';
  capturedAt: number;
  jpegBase64: string;
}

export interface ThumbnailsState {
  /** The latest whole-desktop picture of each machine: what its tile shows. */
  byMachine: Record<string, Thumbnail>;
  /**
   * The latest picture of one monitor of a machine watched large on that monitor (only the large
   * view shows it). Dropped once a newer whole-desktop picture arrives: nobody is served it then.
   */
  monitorByMachine: Record<string, Thumbnail>;
  put(frame: ThumbnailFrame): void;
  /** Forgets the frames of these machines (lesson ended, machine offline or removed). */
  drop(machineIds: Iterable<string>): void;
  clear(): void;
}

/**
 * True when the machine's tile shows a whole-desktop picture older than what the console now sends
 * (pictures of one monitor for a large view): the tile then says when its picture was taken.
 */
export function isTilePictureHeld(state: Pick<ThumbnailsState, 'byMachine' | 'monitorByMachine'>, machineId: string): boolean {
  const whole = state.byMachine[machineId];
  const monitor = state.monitorByMachine[machineId];
  return whole !== undefined && monitor !== undefined && monitor.capturedAt > whole.capturedAt;
}

/** Every machine some picture is held for. */
export function machinesWithPictures(state: Pick<ThumbnailsState, 'byMachine' | 'monitorByMachine'>): string[] {
  return [...new Set([...Object.keys(state.byMachine), ...Object.keys(state.monitorByMachine)])];
}

export function createThumbnailStore(urls: ObjectUrls = browserObjectUrls, now: () => number = Date.now) {
  return createStore<ThumbnailsState>((set, get) => ({
    byMachine: {},
    monitorByMachine: {},
    put(frame) {
      const screen = frame.screen ?? 'all';
      const slot = screen === 'all' ? 'byMachine' : 'monitorByMachine';
      const previous = get()[slot][frame.machineId];
      // Frames may overtake each other after a reconnect; never replace a newer one.
      if (previous && previous.capturedAt > frame.capturedAt) return;
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = base64ToBytes(frame.jpegBase64);
      } catch {
        return; // not base64: ignore the frame, keep the last good one
      }
      const url = urls.create(bytes, 'image/jpeg');
      const thumbnail: Thumbnail = { url, width: frame.width, height: frame.height, screen, capturedAt: frame.capturedAt, receivedAt: now() };
      // A newer whole desktop means the one-monitor pictures stopped: free the last of them.
      const stale = slot === 'byMachine' ? get().monitorByMachine[frame.machineId] : undefined;
      const staleMonitor = stale && stale.capturedAt <= frame.capturedAt ? stale : undefined;
      set((s) => {
        const next = { [slot]: { ...s[slot], [frame.machineId]: thumbnail } } as Partial<ThumbnailsState>;
        if (staleMonitor) {
          const monitorByMachine = { ...s.monitorByMachine };
          delete monitorByMachine[frame.machineId];
          next.monitorByMachine = monitorByMachine;
        }
        return next;
      });
      if (previous) urls.revoke(previous.url);
      if (staleMonitor) urls.revoke(staleMonitor.url);
    },
    drop(machineIds) {
      const { byMachine: wholes, monitorByMachine: monitors } = get();
      const ids = [...machineIds];
      const goneWholes = ids.filter((id) => id in wholes);
      const goneMonitors = ids.filter((id) => id in monitors);
      if (goneWholes.length + goneMonitors.length === 0) return;
      const byMachine = { ...wholes };
      const monitorByMachine = { ...monitors };
      for (const id of goneWholes) delete byMachine[id];
      for (const id of goneMonitors) delete monitorByMachine[id];
      set({ byMachine, monitorByMachine });
      for (const id of goneWholes) urls.revoke(wholes[id]!.url);
      for (const id of goneMonitors) urls.revoke(monitors[id]!.url);
    },
    clear() {
      const { byMachine, monitorByMachine } = get();
      set({ byMachine: {}, monitorByMachine: {} });
      for (const t of [...Object.values(byMachine), ...Object.values(monitorByMachine)]) urls.revoke(t.url);
    },
  }));
}

export type ThumbnailStore = ReturnType<typeof createThumbnailStore>;

export const thumbnailStore: ThumbnailStore = createThumbnailStore();

export function useThumbnails<T>(selector: (state: ThumbnailsState) => T): T {
  return useStore(thumbnailStore, selector);
}
