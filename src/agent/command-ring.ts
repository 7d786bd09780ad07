// Remembers the acknowledgement of the last N commands by id, so a command the console repeats
// (after a reconnect or a lost ack) is answered again without running twice. Fixed size: the
// oldest answer is forgotten first.

/** How many command acknowledgements the agent keeps for repeated ids. */
export const rememberedCommandCount = 64;

export class CommandRing<T> {
  private readonly ids: (string | undefined)[];
  private readonly values: (T | undefined)[];
  private readonly slotById = new Map<string, number>();
  private nextSlot = 0;

  constructor(readonly capacity: number = rememberedCommandCount) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.ids = new Array<string | undefined>(capacity);
    this.values = new Array<T | undefined>(capacity);
  }

  get(id: string): T | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(id: string): boolean {
    return this.slotById.has(id);
  }

  remember(id: string, value: T): void {
    const existing = this.slotById.get(id);
    if (existing !== undefined) {
      this.values[existing] = value;
      return;
    }
    const slot = this.nextSlot;
    const evicted = this.ids[slot];
    if (evicted !== undefined) this.slotById.delete(evicted);
    this.ids[slot] = id;
    this.values[slot] = value;
    this.slotById.set(id, slot);
    this.nextSlot = (slot + 1) % this.capacity;
  }

  get size(): number {
    return this.slotById.size;
  }
}
