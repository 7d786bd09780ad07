// Reconnect backoff: doubles from the first delay, never exceeds the cap, and jitter spreads agents.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs, reconnectPolicy } from '../../../src/agent/backoff.js';
import { reconnectInitialDelayMs, reconnectJitterRatio, reconnectMaxDelayMs } from '../../../src/shared/protocol/limits.js';

describe('reconnect backoff', () => {
  it('stays within [base × (1 − jitter), base] and under the cap for every attempt and random draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const base = Math.min(reconnectMaxDelayMs, reconnectInitialDelayMs * 2 ** Math.min(attempt, 30));
        const delay = backoffDelayMs(attempt, reconnectPolicy, () => r);
        expect(delay).toBeLessThanOrEqual(Math.round(base));
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - reconnectJitterRatio)));
        expect(delay).toBeLessThanOrEqual(reconnectMaxDelayMs);
      }),
    );
  });

  it('doubles from the first delay until it reaches the cap', () => {
    const noJitter = (): number => 0;
    expect(backoffDelayMs(0, reconnectPolicy, noJitter)).toBe(reconnectInitialDelayMs);
    expect(backoffDelayMs(1, reconnectPolicy, noJitter)).toBe(reconnectInitialDelayMs * 2);
    expect(backoffDelayMs(3, reconnectPolicy, noJitter)).toBe(reconnectInitialDelayMs * 8);
    expect(backoffDelayMs(40, reconnectPolicy, noJitter)).toBe(reconnectMaxDelayMs);
  });

  it('spreads a lab of agents that all lost the console at once', () => {
    const delays = new Set<number>();
    for (let i = 0; i < 40; i++) delays.add(backoffDelayMs(10));
    // 40 agents at the cap: jitter must not leave them in lock-step.
    expect(delays.size).toBeGreaterThan(20);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(reconnectMaxDelayMs * (1 - reconnectJitterRatio) - 1);
  });

  it('starts over after a successful authentication', () => {
    const backoff = new Backoff(reconnectPolicy, () => 0);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1000, 2000]);
    backoff.reset();
    expect(backoff.next()).toBe(reconnectInitialDelayMs);
  });
});
