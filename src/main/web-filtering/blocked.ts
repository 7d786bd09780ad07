// Blocked attempts agents report: stored for the lesson record (bounded, see store/blocked-attempts.ts)
// and published at once so the teacher sees them live during a lesson, per PC and in total.
//
// Each attempt is filed under the lesson that was running in the PC's lab *when it happened*, not
// when its report arrived: a PC reports after a second's pause, queues while the console is away,
// and keeps unsent attempts across a graceful restart, so a report often arrives after the lesson
// it belongs to ended (or during the next one). The attempt's time is the PC's clock; reports carry
// the PC's clock at sending, and a PC whose clock is off by more than a moment is corrected by that
// difference before its attempts are matched against the lessons' times (console clock).

import type { Statement } from 'better-sqlite3';
import type { AgentMessage } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { EventBus } from '../api/events.js';
import type { NewBlockedAttempt } from '../store/blocked-attempts.js';
import type { Store } from '../store/index.js';

/** How often old rows are pruned (also once at start). */
export const blockedPruneIntervalMs = 10 * 60 * 1000;
/**
 * Reports without the PC's sending time (older agents): an attempt time further than this from the
 * console's clock is taken as the time it arrived, so a PC with a wrong clock cannot file its
 * attempts under another day's lesson.
 */
export const maxAgentClockSkewMs = 24 * 60 * 60 * 1000;
/**
 * A PC clock this close to the console's counts as right and is not corrected: the difference is
 * mostly network delay, and shifting by it could move an attempt of a lesson's last moment past its end.
 */
export const agentClockToleranceMs = 2_000;

export interface BlockedIntakeOptions {
  store: Store;
  events: EventBus;
  log(line: string): void;
}

interface LessonSpan {
  id: string;
  startedAt: number;
  endedAt: number | null;
}

/** The attempt times of a report on the console's clock. */
export function consoleTimes(message: Extract<AgentMessage, { type: 'blocked' }>, now: number): number[] {
  const { sentAt } = message;
  if (sentAt === undefined) {
    return message.attempts.map((a) => (Math.abs(a.time - now) <= maxAgentClockSkewMs ? a.time : now));
  }
  const correction = Math.abs(now - sentAt) > agentClockToleranceMs ? now - sentAt : 0;
  // Never in the future: a PC whose clock went back after it saved its queue.
  return message.attempts.map((a) => Math.min(a.time + correction, now));
}

/** The lesson of `spans` (sorted by start) running at `at`: started at or before it, not yet ended. */
function lessonAt(spans: readonly LessonSpan[], at: number): string | null {
  for (let i = spans.length - 1; i >= 0; i--) {
    const span = spans[i]!;
    if (span.startedAt <= at && (span.endedAt === null || at < span.endedAt)) return span.id;
  }
  return null;
}

export class BlockedIntake {
  private timer: NodeJS.Timeout | null = null;
  /** Lessons of a lab overlapping a time range (the lessons_by_lab index serves it). */
  private readonly overlapping: Statement<[string, number, number], LessonSpan>;

  constructor(private readonly options: BlockedIntakeOptions) {
    this.overlapping = options.store.db.prepare(
      `SELECT id, started_at AS startedAt, ended_at AS endedAt FROM lessons
       WHERE lab_id = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at`,
    );
  }

  start(): void {
    this.prune();
    this.timer = setInterval(() => this.prune(), blockedPruneIntervalMs);
    this.timer.unref();
  }

  onReport(connection: AgentConnection, message: Extract<AgentMessage, { type: 'blocked' }>): void {
    const { store, events } = this.options;
    const now = Date.now();
    const labId = connection.labId;
    const times = consoleTimes(message, now);
    const spans = labId === null ? [] : this.overlapping.all(labId, Math.max(...times), Math.min(...times));
    const rows: NewBlockedAttempt[] = message.attempts.map((attempt, i) => ({
      at: times[i]!,
      machineId: connection.machineId,
      labId,
      lessonId: lessonAt(spans, times[i]!),
      name: attempt.name,
      category: attempt.category,
    }));
    try {
      store.blockedAttempts.record(rows, now);
    } catch (error) {
      // The live view still gets them; only the record misses this batch.
      this.options.log(`web-filtering: could not store ${rows.length} blocked attempts: ${(error as Error).message}`);
    }
    // One event per lesson the report touches, in the order they first appear.
    const byLesson = new Map<string | null, NewBlockedAttempt[]>();
    for (const row of rows) {
      const group = byLesson.get(row.lessonId);
      if (group) group.push(row);
      else byLesson.set(row.lessonId, [row]);
    }
    for (const [lessonId, group] of byLesson) {
      events.emit({
        type: 'filter.blocked',
        machineId: connection.machineId,
        labId,
        lessonId,
        attempts: group.map((row) => ({ time: row.at, name: row.name, category: row.category })),
      });
    }
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
