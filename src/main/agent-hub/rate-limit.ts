// Sliding-window failure counter: how many failed enrolments a key (an address, or everyone)
// had in the last window. Enrolment codes are short-lived, and this makes guessing one hopeless.
// An attempt is recorded as a failure the moment it starts and forgiven only once it proved
// right, so attempts still being checked count against the limit too.

export class FailureWindow {
  private readonly failures = new Map<string, number[]>();

  constructor(
    /** Failures allowed inside the window before the key is refused. */
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** True when `key` already failed `limit` times within the window. */
  isLimited(key: string, now = Date.now()): boolean {
    const times = this.failures.get(key);
    if (!times) return false;
    this.prune(key, times, now);
    return times.length >= this.limit;
  }

  recordFailure(key: string, now = Date.now()): void {
    const times = this.failures.get(key);
    if (times) times.push(now);
    else this.failures.set(key, [now]);
  }

  /** Takes back the failure recorded at `at` (the attempt turned out right). */
  forgive(key: string, at: number): void {
    const times = this.failures.get(key);
    if (!times) return;
    const index = times.lastIndexOf(at);
    if (index >= 0) times.splice(index, 1);
    if (times.length === 0) this.failures.delete(key);
  }

  /** Drops keys with no recent failures so an address scan cannot grow the map for ever. */
  sweep(now = Date.now()): void {
    for (const [key, times] of this.failures) this.prune(key, times, now);
  }

  private prune(key: string, times: number[], now: number): void {
    let drop = 0;
    while (drop < times.length && now - times[drop]! >= this.windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) this.failures.delete(key);
  }
}
