// How the lock tells a student fighting it from an accident, and how it keeps its log short.
import { describe, expect, it } from 'vitest';
import { contestLossCount, contestWindowMs, EpisodeLog, LockContest, lossCoalesceMs, maxLinesPerKindPerEpisode } from '../../../src/agent/platform/linux/contest.js';

describe('lock contest', () => {
  it(`becomes contested at the ${contestLossCount}rd loss within ${contestWindowMs} ms, and says so once`, () => {
    const log: string[] = [];
    const contest = new LockContest((l) => log.push(l));
    expect(contest.record('connection-killed', 1_000)).toBe(false);
    expect(contest.record('covered', 2_000)).toBe(false);
    expect(contest.contested).toBe(false);
    expect(contest.record('unmapped', 3_000)).toBe(true);
    expect(contest.contested).toBe(true);
    // Further losses keep it contested without starting it again.
    expect(contest.record('connection-killed', 3_100)).toBe(false);
    expect(log.filter((l) => l.startsWith('lock.contested'))).toEqual(['lock.contested losses=3 within_ms=2000 kinds=connection-killed:1,covered:1,unmapped:1']);
  });

  it('forgets losses older than the window: three accidents in a school day are no contest', () => {
    const contest = new LockContest(() => undefined);
    contest.record('covered', 0);
    contest.record('covered', contestWindowMs);
    expect(contest.record('covered', 2 * contestWindowMs + 1)).toBe(false);
    expect(contest.contested).toBe(false);
  });

  it('counts a grab lost together with another loss as that loss, not a second attack', () => {
    const contest = new LockContest(() => undefined);
    contest.record('unmapped', 1_000);
    contest.record('grab-lost', 1_000 + lossCoalesceMs - 1);
    contest.record('connection-killed', 2_000);
    contest.record('grab-lost', 2_001);
    expect(contest.contested).toBe(false);
    // A grab lost on its own is an attack of its own.
    expect(contest.record('grab-lost', 3_000)).toBe(true);
  });

  it('counts one act that shows as several kinds at once (covered, unmapped, grab lost and refused) as one loss', () => {
    const contest = new LockContest(() => undefined);
    for (const [kind, t] of [['covered', 1_000], ['unmapped', 1_001], ['grab-lost', 1_001], ['grab-refused', 1_002]] as const) {
      expect(contest.record(kind, t)).toBe(false);
    }
    expect(contest.contested).toBe(false);
  });

  it('still sees an attack repeated every 10 ms as a contest within a few coalescing windows', () => {
    const contest = new LockContest(() => undefined);
    let contestedAt = -1;
    for (let t = 0; t < 1_000 && contestedAt < 0; t += 10) if (contest.record('covered', t)) contestedAt = t;
    expect(contestedAt).toBeGreaterThanOrEqual((contestLossCount - 1) * lossCoalesceMs);
    expect(contestedAt).toBeLessThanOrEqual(contestLossCount * lossCoalesceMs);
  });

  it('sums the episode up on unlock and starts afresh', () => {
    const log: string[] = [];
    const contest = new LockContest((l) => log.push(l));
    for (let t = 0; t < 4; t++) contest.record('covered', t * 100);
    const summary = contest.end();
    expect(summary).toEqual({ losses: { covered: 4 }, total: 4, contestedAt: 200 });
    expect(log[log.length - 1]).toBe('lock.episode-ended losses=4 kinds=covered:4 contested=true');
    expect(contest.contested).toBe(false);
    expect(contest.record('covered', 1_000)).toBe(false);
  });
});

describe('episode log', () => {
  it(`writes each kind of line at most ${maxLinesPerKindPerEpisode} times per episode and counts the rest`, () => {
    const out: string[] = [];
    const log = new EpisodeLog((l) => out.push(l));
    for (let i = 0; i < 200; i++) log.line(`lock.lost kind=connection-killed n=${i}`);
    log.line('lock.contested losses=3');
    expect(out.filter((l) => l.startsWith('lock.lost'))).toHaveLength(maxLinesPerKindPerEpisode);
    expect(out[maxLinesPerKindPerEpisode - 1]).toContain('more lock.lost lines are counted, not written, until unlock');
    expect(out).toContain('lock.contested losses=3');
    log.end();
    expect(out[out.length - 1]).toBe(`lock.lines-not-written lock.lost:${200 - maxLinesPerKindPerEpisode}`);
    // A new episode writes again.
    log.line('lock.lost kind=covered');
    expect(out[out.length - 1]).toBe('lock.lost kind=covered');
  });

  it('writes nothing at the end of a quiet episode', () => {
    const out: string[] = [];
    const log = new EpisodeLog((l) => out.push(l));
    log.line('lock.input-captured');
    log.end();
    expect(out).toEqual(['lock.input-captured']);
  });
});
