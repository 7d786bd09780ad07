// Live screen thumbnails as object URLs, one per machine; the previous URL of a machine is
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
  byMachine: Record<string, Thumbnail>;
  put(frame: ThumbnailFrame): void;
  /** Forgets the frames of these machines (lesson ended, machine offline or removed). */
  drop(machineIds: Iterable<string>): void;
  clear(): void;
}

export function createThumbnailStore(urls: ObjectUrls = browserObjectUrls, now: () => number = Date.now) {
  return createStore<ThumbnailsState>((set, get) => ({
    byMachine: {},
    put(frame) {
      const previous = get().byMachine[frame.machineId];
      // Frames may overtake each other after a reconnect; never replace a newer one.
      if (previous && previous.capturedAt > frame.capturedAt) return;
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = base64ToBytes(frame.jpegBase64);
      } catch {
        return; // not base64: ignore the frame, keep the last good one
      }
      const url = urls.create(bytes, 'image/jpeg');
      set((s) => ({
        byMachine: {
          ...s.byMachine,
          [frame.machineId]: { url, width: frame.width, height: frame.height, screen: frame.screen ?? 'all', capturedAt: frame.capturedAt, receivedAt: now() },
        },
      }));
      if (previous) urls.revoke(previous.url);
    },
    drop(machineIds) {
      const current = get().byMachine;
      const gone = [...machineIds].filter((id) => id in current);
      if (gone.length === 0) return;
      const byMachine = { ...current };
      for (const id of gone) delete byMachine[id];
      set({ byMachine });
      for (const id of gone) urls.revoke(current[id]!.url);
    },
    clear() {
      const current = get().byMachine;
      set({ byMachine: {} });
      for (const t of Object.values(current)) urls.revoke(t.url);
    },
  }));
}

export type ThumbnailStore = ReturnType<typeof createThumbnailStore>;

export const thumbnailStore: ThumbnailStore = createThumbnailStore();

export function useThumbnails<T>(selector: (state: ThumbnailsState) => T): T {
  return useStore(thumbnailStore, selector);
}
