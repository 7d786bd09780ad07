// Tells a lock that is being fought from a lock that merely had an accident. Every involuntary
// loss (our connection killed, the cover unmapped, destroyed or covered, a grab lost or refused)
// is recorded here; a few in a short time mean a student is working against the lock, and the
// desktop escalates (pauses the student's programs) and tells the teacher. One contest lasts
// from the loss that started it until the teacher unlocks; it is logged once, not per loss.

/** Involuntary losses within `contestWindowMs` that make a contest. */
export const contestLossCount = 3;
export const contestWindowMs = 10_000;

/**
 * Losses this close to the first loss of an incident are that incident's symptoms, not new
 * attacks: one act shows up as several kinds at once (a window mapped over the lock that also
 * grabs the keyboard is covered + unmapped + grab-lost + grab-refused within a few ms; unmapping
 * the cover or killing its connection also ends its grab). Measured from the incident's first
 * loss, not the latest one, so an attack repeated every few ms still counts as many incidents.
 */
export const lossCoalesceMs = 50;

/** Lines of one kind (first word, e.g. "lock.lost") logged per episode (lock to unlock); later ones are only counted. */
export const maxLinesPerKindPerEpisode = 5;

export type LockLoss = 'connection-killed' | 'unmapped' | 'destroyed' | 'covered' | 'grab-lost' | 'grab-refused';

export interface ContestSummary {
  /** Losses since the lock was engaged, by kind. */
  losses: Partial<Record<LockLoss, number>>;
  total: number;
  /** When the losses turned into a contest (null: they never did). */
  contestedAt: number | null;
}

export class LockContest {
  /** Times of recent (coalesced) losses, oldest first, within the window. */
  private recent: number[] = [];
  private incidentStartedAt = -Infinity;
  private losses: Partial<Record<LockLoss, number>> = {};
  private total = 0;
  private contestedAt: number | null = null;

  constructor(private readonly log: (line: string) => void) {}

  get contested(): boolean {
    return this.contestedAt !== null;
  }

  /**
   * Records one involuntary loss. Returns true exactly once per episode: when this loss turned
   * the losses into a contest (the caller escalates then).
   */
  record(kind: LockLoss, now = Date.now()): boolean {
    this.losses[kind] = (this.losses[kind] ?? 0) + 1;
    this.total++;
    this.log(`lock.lost kind=${kind}`);
    if (now - this.incidentStartedAt < lossCoalesceMs) return false;
    this.incidentStartedAt = now;
    this.recent.push(now);
    while (this.recent.length > 0 && now - this.recent[0]! > contestWindowMs) this.recent.shift();
    if (this.contestedAt !== null || this.recent.length < contestLossCount) return false;
    this.contestedAt = now;
    this.log(`lock.contested losses=${this.recent.length} within_ms=${now - this.recent[0]!} kinds=${this.kinds()}`);
    return true;
  }

  /** The lock was released: report the episode once and start afresh. */
  end(): ContestSummary {
    const summary: ContestSummary = { losses: { ...this.losses }, total: this.total, contestedAt: this.contestedAt };
    if (this.total > 0) this.log(`lock.episode-ended losses=${this.total} kinds=${this.kinds()} contested=${this.contestedAt !== null}`);
    this.recent = [];
    this.incidentStartedAt = -Infinity;
    this.losses = {};
    this.total = 0;
    this.contestedAt = null;
    return summary;
  }

  private kinds(): string {
    return Object.entries(this.losses)
      .map(([kind, n]) => `${kind}:${n}`)
      .join(',');
  }
}

/**
 * The lock's log during one episode: a student fighting the lock makes the same thing happen
 * hundreds of times a second, so each kind of line (its first word) is written at most
 * `maxLinesPerKindPerEpisode` times; the rest are counted and summed up once when the episode ends.
 */
export class EpisodeLog {
  private readonly written = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(private readonly log: (line: string) => void) {}

  readonly line = (text: string): void => {
    const kind = text.split(' ', 1)[0]!;
    const n = (this.written.get(kind) ?? 0) + 1;
    if (n <= maxLinesPerKindPerEpisode) {
      this.written.set(kind, n);
      this.log(n === maxLinesPerKindPerEpisode ? `${text} (more ${kind} lines are counted, not written, until unlock)` : text);
    } else this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
  };

  /** Writes how many lines were held back, then starts afresh. */
  end(): void {
    if (this.suppressed.size > 0) {
      this.log(`lock.lines-not-written ${[...this.suppressed].map(([kind, n]) => `${kind}:${n}`).join(',')}`);
    }
    this.written.clear();
    this.suppressed.clear();
  }
}
