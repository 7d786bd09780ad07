// The console's event bus: the agent hub, lessons and commands publish; the UI transports listen.

import type { ApiEvent } from '../../shared/api/contract.js';

export type EventListener = (event: ApiEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.log = log;
  }

  /** Subscribes; returns the unsubscribe function. */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** True when someone listens: lets the thumbnail path skip base64 work nobody would see. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: ApiEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // One broken listener (a closed UI socket) must not stop the others.
        this.log(`events: a listener failed on ${event.type}: ${(error as Error).message}`);
      }
    }
  }
}
