// Reconnecting the event stream: quickly at first, never slower than the cap, spread by jitter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eventsReconnectInitialDelayMs,
  eventsReconnectJitterRatio,
  eventsReconnectMaxDelayMs,
  reconnectDelayMs,
} from '../../../src/renderer/api/backoff.js';

describe('event stream reconnect delay', () => {
  it('doubles from the first delay up to the cap (without jitter)', () => {
    const middle = () => 0.5;
    expect(reconnectDelayMs(0, middle)).toBe(eventsReconnectInitialDelayMs);
    expect(reconnectDelayMs(1, middle)).toBe(2 * eventsReconnectInitialDelayMs);
    expect(reconnectDelayMs(3, middle)).toBe(8 * eventsReconnectInitialDelayMs);
    expect(reconnectDelayMs(50, middle)).toBe(eventsReconnectMaxDelayMs);
  });

  it('stays within the jitter band and never exceeds the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const delay = reconnectDelayMs(attempt, () => r);
        const base = Math.min(eventsReconnectMaxDelayMs, eventsReconnectInitialDelayMs * 2 ** Math.min(attempt, 30));
        return delay >= Math.floor(base * (1 - eventsReconnectJitterRatio)) && delay <= eventsReconnectMaxDelayMs;
      }),
    );
  });
});
