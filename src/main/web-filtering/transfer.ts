// Sending a compiled list to agents as chunk frames without flooding the console's memory or the
// LAN: a few PCs at a time, and per socket only a small window of unsent bytes (the next chunk goes
// when the socket has drained), so forty PCs needing a 10 MB list never means 400 MB in buffers.

import { filterChunkBytes } from '../../shared/protocol/frame.js';

/** PCs receiving a list at once; the others wait their turn. */
export const maxConcurrentListTransfers = 4;
/** Unsent bytes one transfer may leave queued on its socket before waiting for it to drain. */
export const transferWindowBytes = 2 * filterChunkBytes;

/** What a transfer needs of an agent connection. */
export interface ListLink {
  readonly open: boolean;
  /** Bytes queued on the socket and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Sends one binary frame; `done` runs when it left the queue (or with an error when the socket died). */
  sendFrame(data: Uint8Array, done: (error?: Error) => void): void;
}

/**
 * Sends `frames` in order over `link`, keeping at most `windowBytes` unsent (always at least one
 * frame in flight, so a busy socket still makes progress). Resolves when the last frame has been
 * handed to the network; rejects when the socket goes away.
 */
export function sendFrames(link: ListLink, frames: readonly Uint8Array[], windowBytes: number = transferWindowBytes): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && next < frames.length && (inFlight === 0 || link.bufferedBytes + frames[next]!.byteLength <= windowBytes)) {
        if (!link.open) {
          failed = true;
          reject(new Error('the connection closed during the list transfer'));
          return;
        }
        const frame = frames[next++]!;
        inFlight++;
        link.sendFrame(frame, (error) => {
          inFlight--;
          if (failed) return;
          if (error) {
            failed = true;
            reject(error);
          } else if (next >= frames.length && inFlight === 0) {
            resolve();
          } else {
            pump();
          }
        });
      }
    };
    if (frames.length === 0) resolve();
    else pump();
  });
}

/** A counting semaphore: at most `size` transfers hold a slot. */
export class TransferSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number = maxConcurrentListTransfers) {}

  /** Resolves with the release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.size) grant();
      else this.waiting.push(grant);
    });
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
