// The thumbnail scheduler with a fake clock and stand-in PCs: every PC of a running lesson every
// 2 s, a watched PC every 500 ms and larger, never two requests in flight to one PC, nothing
// outside a lesson or before the PC acknowledged it, and each client's choice of PC its own.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  defaultThumbnailIntervalMs,
  focusThumbnailIntervalMs,
  focusThumbnailWidthPx,
  maxFocusSessions,
  thumbnailRequestTimeoutMs,
  ThumbnailScheduler,
  type ThumbnailConnection,
} from '../../../src/main/thumbnails/scheduler.js';
import type { ApiEvent } from '../../../src/shared/api/contract.js';
import type { ProtocolError } from '../../../src/shared/protocol/errors.js';
import { encodeThumbnailFrame, wholeDesktopScreen } from '../../../src/shared/protocol/frame.js';
import { defaultThumbnailWidthPx } from '../../../src/shared/protocol/limits.js';
import type { ConsoleMessage } from '../../../src/shared/protocol/messages.js';

type Request = Extract<ConsoleMessage, { type: 'thumbnail' }> & { at: number };

/** A PC as the scheduler sees it: records what it is asked, answers when the test says so. */
class FakePc implements ThumbnailConnection {
  helloReceived = true;
  /** The PC acknowledged the lesson (its indicator is up). */
  watchable = true;
  thumbnailPendingId = 0;
  thumbnailRequestedAt = 0;
  thumbnailLastIssuedId = 0;
  readonly requests: Request[] = [];
  readonly rejected: ProtocolError[] = [];
  /** Answer every request at once (a healthy PC) or never (a hung one). */
  answers = true;
  scheduler: ThumbnailScheduler | null = null;

  constructor(
    readonly machineId: string,
    public labId: string | null,
  ) {}

  get label(): string {
    return this.machineId;
  }

  send(message: ConsoleMessage): void {
    if (message.type !== 'thumbnail') return;
    this.requests.push({ ...message, at: Date.now() });
    if (this.answers) queueMicrotask(() => this.answer(message.requestId, message.screen));
  }

  reject(error: ProtocolError): void {
    this.rejected.push(error);
  }

  answer(requestId: number, screen: number | 'all' = 'all'): void {
    const frame = encodeThumbnailFrame(
      { requestId, width: 320, height: 180, screen: screen === 'all' ? wholeDesktopScreen : screen, capturedAt: Date.now() },
      new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    );
    this.scheduler!.onFrame(this, Buffer.from(frame));
  }

  /** Gaps between consecutive requests, in ms. */
  gaps(): number[] {
    return this.requests.slice(1).map((r, i) => r.at - this.requests[i]!.at);
  }
}

const running = new Set<string>();
const lessons = {
  isRunning: (labId: string | null) => labId !== null && running.has(labId),
  get anyRunning() {
    return running.size > 0;
  },
};
let events: ApiEvent[];
let logs: string[];
let pcs: FakePc[];
let scheduler: ThumbnailScheduler;

function makeScheduler(options: { intervalMs?: number } = {}): ThumbnailScheduler {
  scheduler = new ThumbnailScheduler({
    hub: { onlineConnections: () => pcs.values() },
    lessons,
    events: { listening: true, emit: (event) => events.push(event) },
    log: (line) => logs.push(line),
    now: () => Date.now(),
    ...options,
  });
  for (const pc of pcs) pc.scheduler = scheduler;
  return scheduler;
}

function startLesson(labId: string): void {
  running.add(labId);
  scheduler.lessonsChanged(labId);
}

function endLesson(labId: string): void {
  running.delete(labId);
  scheduler.lessonsChanged(labId);
}

/** Lets `ms` of fake time pass, with the microtasks (answers) of each step run in between. */
async function pass(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  running.clear();
  events = [];
  logs = [];
  pcs = [new FakePc('pc-01', 'lab-a'), new FakePc('pc-02', 'lab-a'), new FakePc('pc-03', 'lab-b')];
});

afterEach(() => {
  scheduler?.close();
  vi.useRealTimers();
});

describe('thumbnail scheduler', () => {
  it('asks every PC of a running lesson for a 320 px picture every 2 s by default', async () => {
    makeScheduler();
    expect(scheduler.intervalMs).toBe(2000);
    expect(defaultThumbnailIntervalMs).toBe(2000);
    startLesson('lab-a');
    await pass(10_000);
    for (const pc of pcs.slice(0, 2)) {
      expect(pc.requests).toHaveLength(6); // at 0, 2, 4, 6, 8 and 10 s
      expect(new Set(pc.gaps())).toEqual(new Set([2000]));
      expect(pc.requests.every((r) => r.width === defaultThumbnailWidthPx && r.screen === 'all')).toBe(true);
    }
    expect(events.filter((e) => e.type === 'thumbnail')).toHaveLength(12);
    expect(events[0]).toMatchObject({ type: 'thumbnail', machineId: 'pc-01', screen: 'all' });
  });

  it('asks a watched PC every 500 ms for a larger picture, the others still every 2 s', async () => {
    makeScheduler();
    scheduler.focus('web:tab-a', 'pc-01');
    startLesson('lab-a');
    await pass(6000);
    const [watched, other] = pcs;
    expect(focusThumbnailIntervalMs).toBe(500);
    expect(new Set(watched!.gaps())).toEqual(new Set([500]));
    expect(watched!.requests.every((r) => r.width === focusThumbnailWidthPx)).toBe(true);
    expect(new Set(other!.gaps())).toEqual(new Set([2000]));
    expect(other!.requests.every((r) => r.width === defaultThumbnailWidthPx)).toBe(true);

    scheduler.focus('web:tab-a', null);
    const before = watched!.requests.length;
    await pass(6000);
    expect(watched!.requests.length - before).toBe(3);
    expect(new Set(watched!.gaps().slice(-2))).toEqual(new Set([2000]));
  });

  it('never has two requests in flight to one PC: a PC that does not answer is asked again only after the request timeout', async () => {
    makeScheduler();
    const [hung] = pcs;
    hung!.answers = false;
    startLesson('lab-a');
    scheduler.focus('web:tab-a', 'pc-01'); // even at the fast rate
    await pass(thumbnailRequestTimeoutMs - 100);
    expect(hung!.requests).toHaveLength(1);
    await pass(600);
    expect(hung!.requests).toHaveLength(2);
    // A late answer to the request given up on is ignored, not treated as an attack.
    hung!.answer(hung!.requests[0]!.requestId);
    expect(hung!.rejected).toEqual([]);
    expect(events.some((e) => e.type === 'thumbnail' && e.machineId === 'pc-01')).toBe(false);
    // A frame for a request never sent is refused.
    hung!.answer(hung!.thumbnailLastIssuedId + 7);
    expect(hung!.rejected.map((e) => e.code)).toEqual(['frame-unexpected']);
  });

  it('asks nothing outside a lesson, not even a watched PC, and nothing of labs without one', async () => {
    makeScheduler();
    scheduler.focus('web:tab-a', 'pc-01');
    await pass(10_000);
    expect(pcs.flatMap((pc) => pc.requests)).toEqual([]);

    startLesson('lab-b');
    await pass(4000);
    expect(pcs[0]!.requests).toEqual([]);
    expect(pcs[2]!.requests.length).toBeGreaterThan(0);

    endLesson('lab-b');
    const asked = pcs[2]!.requests.length;
    await pass(10_000);
    expect(pcs[2]!.requests.length).toBe(asked);
  });

  it('waits for a PC to acknowledge the lesson before asking it, and stops when it refuses', async () => {
    makeScheduler();
    const [pc] = pcs;
    pc!.watchable = false;
    startLesson('lab-a');
    await pass(4000);
    expect(pc!.requests).toEqual([]);
    pc!.watchable = true; // its setLesson ack arrived
    await pass(2000);
    expect(pc!.requests.length).toBeGreaterThan(0);

    pc!.answers = false;
    await pass(2000);
    const last = pc!.requests.at(-1)!;
    scheduler.onThumbnailError(pc!, { type: 'thumbnailError', requestId: last.requestId, error: { code: 'not-in-lesson', message: 'no lesson is running on this PC' } });
    expect(logs.some((l) => l.includes('pc-01 refused a picture: not-in-lesson'))).toBe(true);
    const asked = pc!.requests.length;
    await pass(10_000);
    expect(pc!.requests.length).toBe(asked);
  });

  it('drops the picture of a request in flight when the lesson ends', async () => {
    makeScheduler();
    const [pc] = pcs;
    pc!.answers = false;
    startLesson('lab-a');
    await pass(100);
    const request = pc!.requests[0]!;
    endLesson('lab-a');
    pc!.answer(request.requestId);
    expect(events.filter((e) => e.type === 'thumbnail' && e.machineId === 'pc-01')).toEqual([]);
    expect(pc!.rejected).toEqual([]);
  });
});

describe('who watches what', () => {
  it('keeps each client’s watched PC its own: one tab closing leaves the other’s alone', async () => {
    makeScheduler();
    startLesson('lab-a');
    scheduler.focus('web:tab-a', 'pc-01');
    scheduler.focus('desktop', 'pc-02');
    expect([...scheduler.focusedMachines().keys()].sort()).toEqual(['pc-01', 'pc-02']);
    await pass(3000);
    expect(new Set(pcs[0]!.gaps())).toEqual(new Set([500]));
    expect(new Set(pcs[1]!.gaps())).toEqual(new Set([500]));

    scheduler.endSession('web:tab-a'); // the browser tab closed without closing its view
    expect([...scheduler.focusedMachines().keys()]).toEqual(['pc-02']);
    const [a, b] = [pcs[0]!.requests.length, pcs[1]!.requests.length];
    await pass(4000);
    expect(pcs[0]!.requests.length - a).toBe(2);
    expect(pcs[1]!.requests.length - b).toBe(8);
  });

  it('asks a watched PC for the monitor its viewer chose', async () => {
    makeScheduler();
    startLesson('lab-a');
    scheduler.focus('web:tab-a', 'pc-01', 1);
    await pass(1000);
    expect(pcs[0]!.requests.at(-1)).toMatchObject({ screen: 1, width: focusThumbnailWidthPx });
    expect(events.filter((e) => e.type === 'thumbnail' && e.machineId === 'pc-01').at(-1)).toMatchObject({ screen: 1 });
    expect(pcs[1]!.requests.every((r) => r.screen === 'all')).toBe(true);
    scheduler.focus('web:tab-a', 'pc-01', 'all');
    await pass(600);
    expect(pcs[0]!.requests.at(-1)).toMatchObject({ screen: 'all' });
  });

  it('remembers a bounded number of clients, forgetting the oldest', () => {
    makeScheduler();
    for (let i = 0; i <= maxFocusSessions; i++) scheduler.focus(`web:tab-${i}`, `pc-${i}`);
    expect(scheduler.focusedMachines().size).toBe(maxFocusSessions);
    expect(scheduler.focusedMachines().has('pc-0')).toBe(false);
    expect(scheduler.focusedMachines().has(`pc-${maxFocusSessions}`)).toBe(true);
  });
});
