// Delay before the next attempt to reopen the event stream: capped exponential backoff with jitter.

/** First retry delay after the event stream drops. */
export const eventsReconnectInitialDelayMs = 500;
/** The console is on the same PC: never wait longer than this between attempts. */
export const eventsReconnectMaxDelayMs = 10_000;
/** Spread retries a little so several open tabs do not hammer the console in step. */
export const eventsReconnectJitterRatio = 0.3;

/** Delay for retry number `attempt` (0 = first retry); `random` returns [0, 1). */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(eventsReconnectMaxDelayMs, eventsReconnectInitialDelayMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jitter = base * eventsReconnectJitterRatio * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(eventsReconnectMaxDelayMs, base + jitter)));
}
