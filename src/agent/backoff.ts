// Reconnect delays: capped exponential backoff with jitter, so a lab of 40 PCs does not hammer
// a restarting console in lock-step.

import { reconnectInitialDelayMs, reconnectJitterRatio, reconnectMaxDelayMs } from '../shared/protocol/limits.js';

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Fraction of the delay that is randomised (0..1). */
  jitterRatio: number;
}

export const reconnectPolicy: BackoffPolicy = {
  initialDelayMs: reconnectInitialDelayMs,
  maxDelayMs: reconnectMaxDelayMs,
  jitterRatio: reconnectJitterRatio,
};

/**
 * Delay before attempt number `attempt` (0 = first retry). The jitter only shortens the delay
 * (base × [1 − jitter, 1]), so the cap holds and agents still spread out once they reach it.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = reconnectPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (1 - policy.jitterRatio * r));
}

/** Counts failed attempts; reset once a connection authenticates. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly policy: BackoffPolicy = reconnectPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay to wait now, and counts one more attempt. */
  next(): number {
    const delay = backoffDelayMs(this.attempt, this.policy, this.random);
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
