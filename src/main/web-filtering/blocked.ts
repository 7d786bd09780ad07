// Blocked attempts agents report: stored for the lesson record (bounded, see store/blocked-attempts.ts)
// and published at once so the teacher sees them live during a lesson, per PC and in total.

import type { AgentMessage } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { EventBus } from '../api/events.js';
import type { Store } from '../store/index.js';

/** How often old rows are pruned (also once at start). */
export const blockedPruneIntervalMs = 10 * 60 * 1000;
/**
 * An attempt time further than this from the console's clock is taken as the time it arrived:
 * a PC with a wrong clock must not file its attempts under another day's lesson.
 */
export const maxAgentClockSkewMs = 24 * 60 * 60 * 1000;

export interface BlockedIntakeOptions {
  store: Store;
  events: EventBus;
  log(line: string): void;
  /** The lesson running in a lab now, if any. */
  runningLessonId(labId: string | null): string | null;
}

export class BlockedIntake {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: BlockedIntakeOptions) {}

  start(): void {
    this.prune();
    this.timer = setInterval(() => this.prune(), blockedPruneIntervalMs);
    this.timer.unref();
  }

  onReport(connection: AgentConnection, message: Extract<AgentMessage, { type: 'blocked' }>): void {
    const { store, events } = this.options;
    const now = Date.now();
    const labId = connection.labId;
    const lessonId = this.options.runningLessonId(labId);
    const rows = message.attempts.map((attempt) => ({
      at: Math.abs(attempt.time - now) <= maxAgentClockSkewMs ? attempt.time : now,
      machineId: connection.machineId,
      labId,
      lessonId,
      name: attempt.name,
      category: attempt.category,
    }));
    try {
      store.blockedAttempts.record(rows, now);
    } catch (error) {
      // The live view still gets them; only the record misses this batch.
      this.options.log(`web-filtering: could not store ${rows.length} blocked attempts: ${(error as Error).message}`);
    }
    events.emit({
      type: 'filter.blocked',
      machineId: connection.machineId,
      labId,
      lessonId,
      attempts: rows.map((row) => ({ time: row.at, name: row.name, category: row.category })),
    });
  }

  prune(): void {
    try {
      const removed = this.options.store.blockedAttempts.prune();
      if (removed > 0) this.options.log(`web-filtering: pruned ${removed} old blocked attempts`);
    } catch (error) {
      this.options.log(`web-filtering: pruning blocked attempts failed: ${(error as Error).message}`);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
