// List transfers pace themselves by the socket: a small window of unsent bytes per PC, a few PCs at once.
import { describe, expect, it } from 'vitest';
import { sendFrames, TransferSlots, type ListLink } from '../../../src/main/web-filtering/transfer.js';

/** A socket that drains one frame every tick, recording the most bytes it ever held unsent. */
class SlowSocket implements ListLink {
  open = true;
  bufferedBytes = 0;
  maxBuffered = 0;
  readonly sent: Uint8Array[] = [];
  private readonly queue: Array<{ data: Uint8Array; done: (error?: Error) => void }> = [];
  failAt = -1;

  sendFrame(data: Uint8Array, done: (error?: Error) => void): void {
    this.bufferedBytes += data.byteLength;
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedBytes);
    this.queue.push({ data, done });
    setImmediate(() => this.drainOne());
  }

  private drainOne(): void {
    const item = this.queue.shift();
    if (!item) return;
    this.bufferedBytes -= item.data.byteLength;
    if (this.sent.length === this.failAt) {
      this.open = false;
      item.done(new Error('socket closed'));
      return;
    }
    this.sent.push(item.data);
    item.done();
  }
}

const frames = (count: number, size: number): Uint8Array[] => Array.from({ length: count }, (_, i) => new Uint8Array(size).fill(i));

describe('sending a list over one socket', () => {
  it('sends every frame in order and never leaves more than the window unsent', async () => {
    const socket = new SlowSocket();
    const list = frames(20, 1000);
    await sendFrames(socket, list, 2500);
    expect(socket.sent).toEqual(list);
    expect(socket.maxBuffered).toBeLessThanOrEqual(2500);
    expect(socket.maxBuffered).toBeGreaterThanOrEqual(2000);
  });

  it('still makes progress when one frame is larger than the window', async () => {
    const socket = new SlowSocket();
    await sendFrames(socket, frames(3, 5000), 1000);
    expect(socket.sent).toHaveLength(3);
    expect(socket.maxBuffered).toBe(5000);
  });

  it('fails when the socket goes away mid-transfer', async () => {
    const socket = new SlowSocket();
    socket.failAt = 4;
    await expect(sendFrames(socket, frames(10, 100), 250)).rejects.toThrow(/closed/);
    expect(socket.sent.length).toBeLessThan(10);
  });

  it('finishes at once with nothing to send', async () => {
    await sendFrames(new SlowSocket(), []);
  });
});

describe('transfer slots', () => {
  it('lets at most `size` transfers run at once and hands freed slots to the waiting ones in order', async () => {
    const slots = new TransferSlots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await slots.acquire();
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        release();
        release(); // a second release changes nothing
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(slots.inUse).toBe(0);
    expect(slots.queued).toBe(0);
  });
});
