// The failure window that stops enrolment-code guessing.
import { describe, expect, it } from 'vitest';
import { FailureWindow } from '../../../src/main/agent-hub/rate-limit.js';

describe('failure window', () => {
  it('refuses a key after the allowed failures and forgives it once they age out', () => {
    const window = new FailureWindow(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(window.isLimited('10.0.0.5', 1000 + i)).toBe(false);
      window.recordFailure('10.0.0.5', 1000 + i);
    }
    expect(window.isLimited('10.0.0.5', 2000)).toBe(true);
    expect(window.isLimited('10.0.0.6', 2000)).toBe(false);
    expect(window.isLimited('10.0.0.5', 60_999)).toBe(true);
    expect(window.isLimited('10.0.0.5', 61_000)).toBe(false);
  });

  it('takes back an attempt that proved right, and only that one', () => {
    const window = new FailureWindow(2, 60_000);
    window.recordFailure('10.0.0.5', 1000);
    window.recordFailure('10.0.0.5', 1001);
    expect(window.isLimited('10.0.0.5', 1002)).toBe(true);
    window.forgive('10.0.0.5', 1001);
    expect(window.isLimited('10.0.0.5', 1002)).toBe(false);
    window.forgive('10.0.0.5', 4242); // never recorded: nothing changes
    window.recordFailure('10.0.0.5', 1003);
    expect(window.isLimited('10.0.0.5', 1004)).toBe(true);
  });

  it('forgets quiet keys when swept, so scanning many addresses cannot grow it for ever', () => {
    const window = new FailureWindow(5, 1000);
    for (let i = 0; i < 1000; i++) window.recordFailure(`10.0.${i >> 8}.${i & 255}`, 0);
    window.sweep(5000);
    expect((window as unknown as { failures: Map<string, number[]> }).failures.size).toBe(0);
  });
});
