// The command ring remembers the last N acknowledgements by id and forgets the oldest first.
import { describe, expect, it } from 'vitest';
import { CommandRing } from '../../../src/agent/command-ring.js';

describe('command acknowledgement ring', () => {
  it('returns the remembered answer for a repeated id', () => {
    const ring = new CommandRing<string>(4);
    ring.remember('a', 'ack-a');
    expect(ring.get('a')).toBe('ack-a');
    expect(ring.get('b')).toBeUndefined();
  });

  it('holds at most its capacity, forgetting the oldest id first', () => {
    const ring = new CommandRing<number>(3);
    for (let i = 0; i < 10; i++) ring.remember(`id-${i}`, i);
    expect(ring.size).toBe(3);
    expect(ring.get('id-6')).toBeUndefined();
    expect([ring.get('id-7'), ring.get('id-8'), ring.get('id-9')]).toEqual([7, 8, 9]);
  });

  it('does not let a re-remembered id evict another one', () => {
    const ring = new CommandRing<number>(2);
    ring.remember('a', 1);
    ring.remember('b', 2);
    ring.remember('a', 3);
    expect([ring.get('a'), ring.get('b')]).toEqual([3, 2]);
  });
});
